package session_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
	"github.com/livecast/sessions/session/sessiontest"
)

// pageRecorder is a fake session.PageScheduler: it keeps the pages handed
// to it, and refuses them while refuse is set.
type pageRecorder struct {
	mu     sync.Mutex
	pages  []session.Page
	refuse error
}

func (p *pageRecorder) SchedulePage(_ context.Context, pg session.Page) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refuse != nil {
		return p.refuse
	}
	p.pages = append(p.pages, pg)
	return nil
}

func (p *pageRecorder) taken() []session.Page {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]session.Page(nil), p.pages...)
}

// fieldMessenger wraps the recording messenger with what @connections does
// in the field: each post takes latency on the test's clock, and a
// connection listed in throttled answers 429 for that many posts (-1: always).
type fieldMessenger struct {
	*messenger
	clock   *clock
	latency time.Duration

	mu        sync.Mutex
	throttled map[string]int
	attempts  map[string]int
}

func (m *fieldMessenger) Send(ctx context.Context, connectionID string, msg session.Message) error {
	m.clock.advance(m.latency)
	m.mu.Lock()
	m.attempts[connectionID]++
	n := m.throttled[connectionID]
	if n > 0 {
		m.throttled[connectionID]--
	}
	m.mu.Unlock()
	if n != 0 {
		return fmt.Errorf("post: %w", session.ErrThrottled)
	}
	return m.messenger.Send(ctx, connectionID, msg)
}

func (m *fieldMessenger) throttle(connectionID string, times int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.throttled[connectionID] = times
}

func (m *fieldMessenger) attemptsOf(connectionID string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.attempts[connectionID]
}

// pagedFixture is a fixture whose service hands pages to a recorder, posts
// through a fieldMessenger, and sleeps by moving the clock: no real waits.
type pagedFixture struct {
	*fixture
	pages *pageRecorder
	field *fieldMessenger
}

func newPagedFixture(t *testing.T, cfg session.Config) *pagedFixture {
	t.Helper()
	f := &fixture{t: t, mem: sessiontest.NewMemory(), limiter: sessiontest.NewLimiter(), msgr: newMessenger(), clock: &clock{t: start}}
	p := &pagedFixture{fixture: f, pages: &pageRecorder{},
		field: &fieldMessenger{messenger: f.msgr, clock: f.clock, throttled: map[string]int{}, attempts: map[string]int{}}}
	f.svc = session.New(cfg, session.Deps{
		Sessions: f.mem.Sessions(), Connections: f.mem.Connections(), Scans: f.mem.Scans(), Limiter: f.limiter,
		Messenger: p.field, Verifier: verifier{}, Now: f.clock.Now, Pages: p.pages,
		Sleep: func(_ context.Context, d time.Duration) error { f.clock.advance(d); return nil },
	})
	return p
}

// seedListeners seeds n listeners of lang ("l0".."l<n-1>").
func (f *pagedFixture) seedListeners(n int, lang string) {
	langs := make([]string, n)
	for i := range langs {
		langs[i] = lang
	}
	f.seed(langs...)
}

// postCounts is how many posts each connection got.
func (f *pagedFixture) postCounts() map[string]int {
	posts := map[string]int{}
	for _, d := range f.msgr.all() {
		posts[d.to]++
	}
	return posts
}

var audio = session.Payload{Data: json.RawMessage(`{"type":"audioData","sequence":7}`)}

func TestBroadcastPages(t *testing.T) {
	t.Run("the receiving invocation posts one page and hands every other to another invocation", func(t *testing.T) {
		f := newPagedFixture(t, session.Config{FanoutWorkers: 4, BroadcastPageSize: 128, MaxListenersPerSession: 1000})
		f.seedListeners(300, "de")

		res, err := f.svc.BroadcastTo(f.ctx(), session.BroadcastRequest{SessionID: seededID, Language: "de", Payload: audio, MaxAge: time.Second})

		require.NoError(t, err)
		assert.Equal(t, 128, res.Delivered, "its own page only")
		assert.Equal(t, 300, res.Listeners)
		assert.Equal(t, 2, res.PagesScheduled)
		pages := f.pages.taken()
		require.Len(t, pages, 2)
		reached := f.postCounts()
		for _, pg := range pages {
			assert.LessOrEqual(t, len(pg.ConnectionIDs), 128)
			assert.Equal(t, seededID, pg.SessionID)
			assert.Equal(t, "de", pg.Language)
			assert.Equal(t, audio, pg.Message)
			assert.Equal(t, start.Add(time.Second), pg.Deadline, "the age counts from the broadcast's arrival")
			assert.False(t, pg.CloseAfter)
			for _, id := range pg.ConnectionIDs {
				reached[id]++
			}
		}
		require.Len(t, reached, 300, "every listener is in exactly one page")
		for id, n := range reached {
			assert.Equal(t, 1, n, id)
		}
	})

	t.Run("a page posted by another invocation reaches exactly its listeners", func(t *testing.T) {
		f := newPagedFixture(t, session.Config{FanoutWorkers: 4})
		f.seedListeners(5, "de")
		f.msgr.setGone("l3")

		res, err := f.svc.PostPage(f.ctx(), session.Page{SessionID: seededID, Language: "de", ConnectionIDs: []string{"l1", "l2", "l3"}, Message: audio})

		require.NoError(t, err)
		assert.Equal(t, 2, res.Delivered)
		require.Len(t, res.Gone, 1)
		assert.Equal(t, map[string]int{"l1": 1, "l2": 1}, f.postCounts())
		assert.True(t, f.record("l3").Held(), "a 410 is one failed post and a held seat, in any page")
	})

	t.Run("an audience of one page is posted here and schedules nothing", func(t *testing.T) {
		f := newPagedFixture(t, session.Config{BroadcastPageSize: 128})
		f.seedListeners(128, "de")
		res, err := f.svc.Broadcast(f.ctx(), seededID, "de", audio)
		require.NoError(t, err)
		assert.Equal(t, 128, res.Delivered)
		assert.Zero(t, res.PagesScheduled)
		assert.Empty(t, f.pages.taken())
	})

	t.Run("a page no invocation takes is posted here rather than lost", func(t *testing.T) {
		f := newPagedFixture(t, session.Config{BroadcastPageSize: 10})
		f.seedListeners(25, "de")
		f.pages.refuse = errBoom
		res, err := f.svc.Broadcast(f.ctx(), seededID, "de", audio)
		require.NoError(t, err)
		assert.Equal(t, 25, res.Delivered)
		assert.Zero(t, res.PagesScheduled)
		assert.Len(t, f.postCounts(), 25)
	})

	t.Run("an ending closes its listeners in the same pages", func(t *testing.T) {
		f := newPagedFixture(t, session.Config{BroadcastPageSize: 2})
		f.seed("de", "fr", "de", "es", "de")
		require.NoError(t, f.svc.EndSession(f.ctx(), seededID, "spk", session.ReasonSpeakerEnded))
		pages := f.pages.taken()
		require.Len(t, pages, 2)
		ids := map[string]bool{}
		for _, pg := range pages {
			assert.True(t, pg.CloseAfter)
			assert.True(t, pg.Deadline.IsZero(), "an ending is never dropped for age")
			assert.IsType(t, session.SessionEnded{}, pg.Message)
			for _, id := range pg.ConnectionIDs {
				ids[id] = true
			}
		}
		assert.Len(t, f.msgr.closed(), 2, "the first page is closed here")
		for _, id := range f.msgr.closed() {
			ids[id] = true
		}
		assert.Len(t, ids, 5)
	})
}

func TestBroadcastAge(t *testing.T) {
	t.Run("a page that would post after the age drops the rest and counts them stale", func(t *testing.T) {
		f := newPagedFixture(t, session.Config{FanoutWorkers: 1})
		f.field.latency = 20 * time.Millisecond
		f.seedListeners(10, "de")

		res, err := f.svc.BroadcastTo(f.ctx(), session.BroadcastRequest{SessionID: seededID, Language: "de", Payload: audio, MaxAge: 100 * time.Millisecond})

		require.NoError(t, err)
		assert.Equal(t, 5, res.Delivered, "posts at 0, 20, 40, 60 and 80 ms")
		assert.Equal(t, 5, res.Stale)
		assert.Len(t, f.msgr.all(), 5)
	})

	t.Run("a payload without an age is never dropped", func(t *testing.T) {
		f := newPagedFixture(t, session.Config{FanoutWorkers: 1})
		f.field.latency = time.Second
		f.seedListeners(10, "de")
		res, err := f.svc.Broadcast(f.ctx(), seededID, "de", session.Payload{Data: json.RawMessage(`{"type":"translation"}`)})
		require.NoError(t, err)
		assert.Equal(t, 10, res.Delivered)
		assert.Zero(t, res.Stale)
	})

	t.Run("a page that arrives after its deadline posts nothing", func(t *testing.T) {
		f := newPagedFixture(t, session.Config{})
		f.seedListeners(3, "de")
		res, err := f.svc.PostPage(f.ctx(), session.Page{SessionID: seededID, Language: "de", ConnectionIDs: []string{"l0", "l1", "l2"}, Message: audio, Deadline: start})
		require.NoError(t, err)
		assert.Equal(t, session.FanoutResult{Stale: 3}, res)
		assert.Empty(t, f.msgr.all())
	})
}

func TestThrottledPosts(t *testing.T) {
	t.Run("a 429 is retried after a jittered wait and delivered within the age", func(t *testing.T) {
		f := newPagedFixture(t, session.Config{FanoutWorkers: 1})
		f.seedListeners(2, "de")
		f.field.throttle("l1", 3)

		res, err := f.svc.BroadcastTo(f.ctx(), session.BroadcastRequest{SessionID: seededID, Language: "de", Payload: audio, MaxAge: time.Second})

		require.NoError(t, err)
		assert.Equal(t, 2, res.Delivered)
		assert.Equal(t, 3, res.Throttled)
		assert.Equal(t, 4, f.field.attemptsOf("l1"))
		assert.Equal(t, map[string]int{"l0": 1, "l1": 1}, f.postCounts(), "delivered once")
		waited := f.clock.Now().Sub(start)
		// Equal jitter: at least half of 25+50+100 ms, at most all of it.
		assert.GreaterOrEqual(t, waited, 87*time.Millisecond)
		assert.LessOrEqual(t, waited, 175*time.Millisecond)
	})

	t.Run("a post throttled past its age is dropped as stale, not retried late", func(t *testing.T) {
		f := newPagedFixture(t, session.Config{FanoutWorkers: 1})
		f.seedListeners(1, "de")
		f.field.throttle("l0", -1)

		res, err := f.svc.BroadcastTo(f.ctx(), session.BroadcastRequest{SessionID: seededID, Language: "de", Payload: audio, MaxAge: 200 * time.Millisecond})

		require.NoError(t, err)
		assert.Equal(t, 1, res.Stale)
		assert.Zero(t, res.Delivered)
		assert.Less(t, f.clock.Now().Sub(start), 200*time.Millisecond, "no attempt after the age")
		assert.False(t, f.record("l0").Held(), "a throttled listener keeps its connection")
	})

	t.Run("without an age a throttled post gives up after a bounded number of attempts", func(t *testing.T) {
		f := newPagedFixture(t, session.Config{FanoutWorkers: 1})
		f.seedListeners(1, "de")
		f.field.throttle("l0", -1)

		res, err := f.svc.Broadcast(f.ctx(), seededID, "de", session.Payload{Data: json.RawMessage(`{"type":"translation"}`)})

		require.NoError(t, err)
		assert.Equal(t, 1, res.Failed)
		assert.Equal(t, 8, f.field.attemptsOf("l0"))
		assert.Equal(t, 8, res.Throttled)
	})
}
