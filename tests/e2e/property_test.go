package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/livecast/sessions/session"
)

// Random interleavings of joins (one at a time and in concurrent bursts),
// listener leaves, listener and speaker refreshes, heartbeats, language
// changes and the speaker's departure, through the whole local system with
// real WebSocket clients and the real store. Whatever the order:
//   - at every quiet point, listenerCount == listener records and
//     byLanguage[l] == records of l == the listeners the clients hold;
//   - at every moment (a poller watches), no count is negative and the total
//     never exceeds capacity plus the refresh overlaps then open;
//   - a join is refused with SESSION_FULL exactly when the session is full;
//   - once the speaker leaves, every listener got sessionEnded exactly once
//     and the session has no records and no counts left.
//
// The harness gives each DynamoDB attempt 15 s (the product: 3 s), so a slow
// emulator answer on a loaded machine is not mistaken for a lost one. A lost
// answer is still possible in production: transactions (joins, refreshes,
// language switches) carry a client request token and are not applied twice
// when retried; a listener leave (delete, then decrement) retried after its
// delete landed leaves the count one high until the sweep reconciles it.
func TestPropertyCountsFollowRecordsUnderAnyInterleaving(t *testing.T) {
	defaultRapidChecks(t, 50)
	const capacity = 4
	sys := startSystem(t, withEnv(generousLimits,
		"MAX_LISTENERS_PER_SESSION", strconv.Itoa(capacity),
		"RATE_LIMIT_SESSIONS_PER_HOUR", "100000",
		"RATE_LIMIT_HEARTBEATS_PER_MIN", "100000",
		// No sweep: it would repair a drifted count and hide the bug.
		"SWEEP_INTERVAL_SECONDS", "86400",
		"HEARTBEAT_TIMEOUT_SECONDS", "3600",
	))
	var seq atomic.Int64
	tally := map[string]int{}
	defer func() { t.Logf("actions run: %v", tally) }()
	rapid.Check(t, func(rt *rapid.T) {
		m := startPropSession(rt, t, sys, capacity, fmt.Sprintf("prop-speaker-%d", seq.Add(1)))
		defer m.release()
		actions := map[string]func(*rapid.T){
			"join":           m.join,
			"burst":          m.burst,
			"leave":          m.leave,
			"refresh":        m.refresh,
			"drop":           m.drop,
			"reclaim":        m.reclaim,
			"heartbeat":      m.heartbeat,
			"changeLanguage": m.changeLanguage,
			"speakerRefresh": m.speakerRefresh,
			"settle":         m.settle,
		}
		names := []string{"join", "join", "burst", "leave", "refresh", "drop", "reclaim", "heartbeat", "changeLanguage", "speakerRefresh", "settle"}
		for range rapid.IntRange(5, 40).Draw(rt, "steps") {
			name := rapid.SampledFrom(names).Draw(rt, "action")
			tally[name]++
			actions[name](rt)
			m.checkPoller(rt)
		}
		if rapid.Bool().Draw(rt, "settle before the end") {
			m.settle(rt)
		}
		m.speakerLeaves(rt)
		m.checkPoller(rt)
	})
}

// defaultRapidChecks lowers rapid's default of 100 checks (each one a
// session with real sockets) unless -rapid.checks or RAPID_CHECKS asks for
// a number, so `make test` stays quick under -race.
func defaultRapidChecks(t *testing.T, n int) {
	if _, ok := os.LookupEnv("RAPID_CHECKS"); ok {
		return
	}
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "rapid.checks" })
	f := flag.Lookup("rapid.checks")
	if explicit || f == nil {
		return
	}
	old := f.Value.String()
	require.NoError(t, f.Value.Set(strconv.Itoa(n)))
	t.Cleanup(func() { _ = f.Value.Set(old) })
}

var propLanguages = []string{"es", "fr", "de"}

// propConn is one WebSocket connection and what it has received.
type propConn struct {
	*droppable
	lang  string
	token string // the resume token of its last welcome
	seen  map[string]int
}

// propSession is the model: what the clients hold, against which the store
// is checked.
type propSession struct {
	t        *testing.T // the outer test: owns the sockets' cleanup
	sys      *system
	capacity int
	id       string
	sub      string
	speaker  *propConn
	live     []*propConn // admitted listeners not closed by us
	dropped  []*propConn // listeners whose TCP connection we reset: their seats are held
	closed   []*propConn // listeners we closed; their $disconnect may be pending
	pending  int         // closed since the last settle (their release may be pending)

	pollStop  context.CancelFunc
	pollDone  chan struct{}
	pollMu    sync.Mutex
	pollFails []string
}

func startPropSession(rt *rapid.T, t *testing.T, sys *system, capacity int, sub string) *propSession {
	m := &propSession{t: t, sys: sys, capacity: capacity, sub: sub}
	c := m.dial(rt, query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", sys.token(t, sub)))
	if c == nil {
		rt.Fatalf("createSession refused")
	}
	m.speaker = c
	m.id = m.awaitWelcome(rt, c, "sessionCreated")["sessionId"].(string)
	m.startPoller()
	return m
}

// dial connects; nil when the upgrade was refused (status and code in the
// returned refusal).
func (m *propSession) dial(rt *rapid.T, q string) *propConn {
	c, _, _ := m.tryDial(rt, q)
	return c
}

func (m *propSession) tryDial(rt *rapid.T, q string) (*propConn, int, string) {
	c, status, body := m.sys.tryDialDroppable(m.t, q)
	if c == nil {
		code, _ := body["code"].(string)
		return nil, status, code
	}
	return &propConn{droppable: c, seen: map[string]int{}}, status, ""
}

// seated counts the seats the clients hold: connected, or held after a drop.
func (m *propSession) seated() int { return len(m.live) + len(m.dropped) }

// welcomed waits for c's welcome and keeps its resume token.
func (m *propSession) welcomed(rt *rapid.T, c *propConn, typ string) {
	msg := m.awaitWelcome(rt, c, typ)
	if tok, ok := msg["resumeToken"].(string); ok {
		c.token = tok
	}
}

// await reads c's messages until one of type typ arrives.
func (m *propSession) await(rt *rapid.T, c *propConn, typ string) map[string]any {
	msg, ok := m.next(rt, c, typ, waitDeadline)
	if !ok {
		rt.Fatalf("no %s within %s (seen %v)", typ, waitDeadline, c.seen)
	}
	return msg
}

func (m *propSession) next(rt *rapid.T, c *propConn, typ string, wait time.Duration) (map[string]any, bool) {
	deadline := time.After(wait)
	for {
		select {
		case msg, ok := <-c.msgs:
			if !ok {
				rt.Fatalf("connection closed (%v) while waiting for %s", c.err, typ)
			}
			c.seen[msg["type"].(string)]++
			if msg["type"] == typ {
				return msg, true
			}
		case <-deadline:
			return nil, false
		}
	}
}

// awaitWelcome waits for a connection's first message. The welcome is best
// effort (docs/PROTOCOL.md): on a loaded machine it can be given up, and a client
// that missed it asks getSessionStatus, as this one then does.
func (m *propSession) awaitWelcome(rt *rapid.T, c *propConn, typ string) map[string]any {
	if msg, ok := m.next(rt, c, typ, 10*time.Second); ok {
		return msg
	}
	rt.Logf("no %s within 10s: asking getSessionStatus", typ)
	m.write(rt, c, map[string]string{"action": "getSessionStatus"})
	return m.await(rt, c, "sessionStatus")
}

func (m *propSession) write(rt *rapid.T, c *propConn, v map[string]string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	data, err := json.Marshal(v)
	if err != nil {
		rt.Fatalf("encode %v: %v", v, err)
	}
	if err := contract.ValidateClientMessage(data); err != nil {
		rt.Fatalf("the model sends a frame off the contract: %v", err)
	}
	if err := c.conn.Write(ctx, websocket.MessageText, data); err != nil {
		rt.Fatalf("write %v: %v", v, err)
	}
}

// join admits one listener, or must be refused exactly when the session is
// full: the store holds between len(live) and len(live)+pending listeners.
func (m *propSession) join(rt *rapid.T) {
	lang := rapid.SampledFrom(propLanguages).Draw(rt, "lang")
	c, status, code := m.tryDial(rt, query("action", "joinSession", "sessionId", m.id, "targetLanguage", lang))
	switch {
	case c != nil && m.seated() >= m.capacity:
		rt.Fatalf("join admitted with %d seats taken at capacity %d", m.seated(), m.capacity)
	case c == nil && (status != http.StatusServiceUnavailable || code != "SESSION_FULL"):
		rt.Fatalf("join refused with %d %s", status, code)
	case c == nil && m.seated()+m.pending < m.capacity:
		rt.Fatalf("join refused as full with %d seats taken (+%d leaving) at capacity %d", m.seated(), m.pending, m.capacity)
	case c != nil:
		c.lang = lang
		m.welcomed(rt, c, "sessionJoined")
		m.live = append(m.live, c)
	}
}

// burst dials several joins at once: capacity must hold under concurrency.
func (m *propSession) burst(rt *rapid.T) {
	k := rapid.IntRange(2, 2*m.capacity).Draw(rt, "burst size")
	langs := make([]string, k)
	for i := range langs {
		langs[i] = rapid.SampledFrom(propLanguages).Draw(rt, "lang")
	}
	type outcome struct {
		c      *propConn
		status int
		code   string
	}
	out := make([]outcome, k)
	var wg sync.WaitGroup
	for i := range k {
		wg.Go(func() {
			c, status, code := m.tryDial(rt, query("action", "joinSession", "sessionId", m.id, "targetLanguage", langs[i]))
			out[i] = outcome{c, status, code}
		})
	}
	wg.Wait()
	admitted := 0
	for i, o := range out {
		if o.c == nil {
			if o.status != http.StatusServiceUnavailable || o.code != "SESSION_FULL" {
				rt.Fatalf("burst join refused with %d %s", o.status, o.code)
			}
			continue
		}
		admitted++
		o.c.lang = langs[i]
		m.welcomed(rt, o.c, "sessionJoined")
		m.live = append(m.live, o.c)
	}
	room := max(m.capacity-(m.seated()-admitted), 0)
	sure := max(room-m.pending, 0)
	if admitted > room || admitted < min(k, sure) {
		rt.Fatalf("burst of %d admitted %d; room was %d (%d certain)", k, admitted, room, sure)
	}
}

func (m *propSession) pick(rt *rapid.T, what string) int {
	return rapid.IntRange(0, len(m.live)-1).Draw(rt, what)
}

// leave closes a listener with 1000; its $disconnect runs asynchronously.
func (m *propSession) leave(rt *rapid.T) {
	if len(m.live) == 0 {
		return
	}
	i := m.pick(rt, "leaver")
	m.closeListener(i)
}

func (m *propSession) closeListener(i int) {
	c := m.live[i]
	m.live = append(m.live[:i], m.live[i+1:]...)
	c.close()
	m.closed = append(m.closed, c)
	m.pending++
}

// refresh replaces a listener's connection the v1.1 way: the new socket
// presents the old one's resume token and takes its seat, even at a full
// session; the service closes the old socket.
func (m *propSession) refresh(rt *rapid.T) {
	if len(m.live) == 0 {
		return
	}
	i := m.pick(rt, "refresher")
	old := m.live[i]
	c := m.dial(rt, query("action", "refreshConnection", "role", "listener", "sessionId", m.id, "targetLanguage", old.lang, "resumeToken", old.token))
	if c == nil {
		rt.Fatalf("listener refresh with its resume token refused")
	}
	c.lang = old.lang
	m.welcomed(rt, c, "connectionRefreshComplete")
	m.live[i] = c
	m.closed = append(m.closed, old) // closed by the service; its seat moved, nothing to release
}

// drop resets a listener's TCP connection (no close frame): its seat is held.
func (m *propSession) drop(rt *rapid.T) {
	if len(m.live) == 0 {
		return
	}
	i := m.pick(rt, "dropper")
	c := m.live[i]
	m.live = append(m.live[:i], m.live[i+1:]...)
	c.droppable.drop()
	m.dropped = append(m.dropped, c)
}

// reclaim brings a dropped listener back into its held seat with its token.
func (m *propSession) reclaim(rt *rapid.T) {
	if len(m.dropped) == 0 {
		return
	}
	i := rapid.IntRange(0, len(m.dropped)-1).Draw(rt, "reclaimer")
	old := m.dropped[i]
	c := m.dial(rt, query("action", "refreshConnection", "role", "listener", "sessionId", m.id, "targetLanguage", old.lang, "resumeToken", old.token))
	if c == nil {
		rt.Fatalf("reclaiming a held seat refused")
	}
	c.lang = old.lang
	m.welcomed(rt, c, "connectionRefreshComplete")
	m.dropped = append(m.dropped[:i], m.dropped[i+1:]...)
	m.live = append(m.live, c)
}

func (m *propSession) heartbeat(rt *rapid.T) {
	c := m.speaker
	if len(m.live) > 0 && rapid.Bool().Draw(rt, "listener heartbeat") {
		c = m.live[m.pick(rt, "heartbeater")]
	}
	m.write(rt, c, map[string]string{"action": "heartbeat"})
	m.await(rt, c, "heartbeatAck")
}

func (m *propSession) changeLanguage(rt *rapid.T) {
	if len(m.live) == 0 {
		return
	}
	c := m.live[m.pick(rt, "changer")]
	lang := rapid.SampledFrom(propLanguages).Draw(rt, "new lang")
	m.write(rt, c, map[string]string{"action": "changeLanguage", "targetLanguage": lang})
	m.await(rt, c, "languageChanged")
	c.lang = lang // its resume token names the seat, now in lang
}

// speakerRefresh hands the session to a new speaker socket; the old one's
// close must not end it.
func (m *propSession) speakerRefresh(rt *rapid.T) {
	c := m.dial(rt, query("action", "refreshConnection", "role", "speaker", "sessionId", m.id, "token", m.sys.token(m.t, m.sub)))
	if c == nil {
		rt.Fatalf("speaker refresh refused")
	}
	m.welcomed(rt, c, "connectionRefreshComplete")
	old := m.speaker
	m.speaker = c
	old.close()
}

// settle waits until every pending release is done, then checks the store
// against the clients exactly.
func (m *propSession) settle(rt *rapid.T) {
	want := map[string]int{}
	for _, c := range append(m.live[:len(m.live):len(m.live)], m.dropped...) {
		want[c.lang]++
	}
	var last error
	deadline := time.Now().Add(waitDeadline)
	for {
		last = m.matches(want)
		if last == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if last != nil {
		rt.Fatalf("store does not match the clients: %v", last)
	}
	m.pending = 0
}

// matches compares the stored counts and records with want (per language).
func (m *propSession) matches(want map[string]int) error {
	ctx := context.Background()
	sess, err := m.sys.Graph.Store.Sessions.Get(ctx, m.id)
	if err != nil {
		return err
	}
	ls, err := m.sys.Graph.Store.Connections.Listeners(ctx, m.id, "")
	if err != nil {
		return err
	}
	records := map[string]int{}
	for _, c := range ls {
		records[c.TargetLanguage]++
	}
	total := 0
	for _, n := range want {
		total += n
	}
	switch {
	case !sess.Active:
		return errors.New("session inactive while its speaker is connected")
	case sess.ListenerCount != total || len(ls) != total:
		return fmt.Errorf("listenerCount=%d, records=%d, clients hold %d", sess.ListenerCount, len(ls), total)
	case !maps.Equal(nonZeroCounts(sess.ByLanguage), want):
		return fmt.Errorf("byLanguage=%v, clients hold %v", sess.ByLanguage, want)
	case !maps.Equal(records, want):
		return fmt.Errorf("records per language=%v, clients hold %v", records, want)
	}
	return nil
}

func nonZeroCounts(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// speakerLeaves ends the session: every listener still connected gets
// sessionEnded exactly once and is closed; no record or count remains.
func (m *propSession) speakerLeaves(rt *rapid.T) {
	ctx := context.Background()
	speakerConn := m.sys.speakerConnection(m.t, m.id)
	m.speaker.close()
	for i, c := range m.live {
		select {
		case <-c.closed:
		case <-time.After(waitDeadline):
			rt.Fatalf("listener %d still open after the speaker left", i)
		}
		for msg := range c.msgs {
			c.seen[msg["type"].(string)]++
		}
		if c.seen["sessionEnded"] != 1 {
			rt.Fatalf("listener %d got sessionEnded %d times", i, c.seen["sessionEnded"])
		}
		if websocket.CloseStatus(c.err) != websocket.StatusNormalClosure {
			rt.Fatalf("listener %d closed with %v", i, c.err)
		}
	}
	for i, c := range m.closed {
		for msg := range c.msgs {
			if msg["type"] == "sessionEnded" {
				rt.Fatalf("listener %d that had left got sessionEnded", i)
			}
		}
	}
	var last error
	deadline := time.Now().Add(waitDeadline)
	for {
		last = func() error {
			sess, err := m.sys.Graph.Store.Sessions.Get(ctx, m.id)
			if err != nil {
				return err
			}
			ls, err := m.sys.Graph.Store.Connections.Listeners(ctx, m.id, "")
			if err != nil {
				return err
			}
			_, err = m.sys.Graph.Store.Connections.Get(ctx, speakerConn)
			switch {
			case sess.Active:
				return errors.New("session still active")
			case sess.ListenerCount != 0 || len(nonZeroCounts(sess.ByLanguage)) > 0:
				return fmt.Errorf("ended session still counts %d %v", sess.ListenerCount, sess.ByLanguage)
			case len(ls) > 0:
				return fmt.Errorf("ended session has %d listener records", len(ls))
			case !errors.Is(err, session.ErrNotFound):
				return fmt.Errorf("speaker record: %v", err)
			}
			return nil
		}()
		if last == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if last != nil {
		rt.Fatalf("after the end: %v", last)
	}
}

// startPoller watches the session while the check runs: counts never
// negative, never above capacity (refreshes take seats over, they add none).
func (m *propSession) startPoller() {
	ctx, cancel := context.WithCancel(context.Background())
	m.pollStop, m.pollDone = cancel, make(chan struct{})
	go func() {
		defer close(m.pollDone)
		for ctx.Err() == nil {
			// Stopping cancels only the wait: a request cancelled in flight
			// makes the SDK complain about the connection it abandons.
			sess, err := m.sys.Graph.Store.Sessions.Get(context.Background(), m.id)
			if err == nil && sess.Active {
				bound := m.capacity
				var fails []string
				if sess.ListenerCount < 0 || sess.ListenerCount > bound {
					fails = append(fails, fmt.Sprintf("listenerCount=%d outside [0, %d]", sess.ListenerCount, bound))
				}
				for l, n := range sess.ByLanguage {
					if n < 0 {
						fails = append(fails, fmt.Sprintf("byLanguage[%s]=%d", l, n))
					}
				}
				if len(fails) > 0 {
					m.pollMu.Lock()
					m.pollFails = append(m.pollFails, fails...)
					m.pollMu.Unlock()
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
}

func (m *propSession) checkPoller(rt *rapid.T) {
	m.pollMu.Lock()
	defer m.pollMu.Unlock()
	if len(m.pollFails) > 0 {
		rt.Fatalf("poller saw: %v", m.pollFails)
	}
}

// release stops the poller and drops every socket the check still holds
// (a failed check leaves some open).
func (m *propSession) release() {
	m.pollStop()
	<-m.pollDone
	for _, c := range append([]*propConn{m.speaker}, m.live...) {
		_ = c.conn.CloseNow()
	}
}
