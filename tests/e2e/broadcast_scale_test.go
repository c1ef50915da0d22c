package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/livecast/sessions/local/gateway"
	"github.com/livecast/sessions/router"
)

// audioCounter is a listener that only counts the audioData it receives,
// by sequence: hundreds of them must stay cheap.
type audioCounter struct {
	conn *websocket.Conn
	mu   sync.Mutex
	seen map[int64]int
}

func (a *audioCounter) read() {
	for {
		_, data, err := a.conn.Read(context.Background())
		if err != nil {
			return
		}
		var m struct {
			Type     string `json:"type"`
			Sequence int64  `json:"sequence"`
		}
		if json.Unmarshal(data, &m) == nil && m.Type == "audioData" {
			a.mu.Lock()
			a.seen[m.Sequence]++
			a.mu.Unlock()
		}
	}
}

// counts returns how many distinct sequences arrived and how many arrived
// more than once.
func (a *audioCounter) counts() (distinct, repeated int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range a.seen {
		distinct++
		if n > 1 {
			repeated++
		}
	}
	return distinct, repeated
}

// TestABroadcastToHundredsOnFieldLatencyReachesEveryoneOnce: 240 real
// listeners of one language, @connections answering in 20 ms (AWS's, not
// localhost's) and refusing 5 % of posts with 429. Every message is cut
// into pages posted by parallel invocations, throttled posts are retried,
// and every listener gets every message exactly once.
func TestABroadcastToHundredsOnFieldLatencyReachesEveryoneOnce(t *testing.T) {
	// 240 listeners in pages of 64: the receiving invocation's page and
	// three more. (Joining is most of the test's time: moto answers one
	// request at a time.)
	const listeners, messages, pageSize = 240, 10, 64
	sys := startSystemWith(t, map[string]string{
		"RATE_LIMIT_LISTENER_JOINS_PER_MIN":      "1000",
		"RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN": "1000",
		"BROADCAST_PAGE_SIZE":                    fmt.Sprint(pageSize),
	}, systemOptions{faults: gateway.Faults{Latency: 20 * time.Millisecond, ThrottleShare: 0.05}})
	_, id := sys.speaker(t, "owner")

	joinStart := time.Now()
	audience := make([]*audioCounter, listeners)
	var g errgroup.Group
	g.SetLimit(16) // moto answers one request at a time: a wider storm only queues
	for i := range audience {
		g.Go(func() error {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			conn, _, err := websocket.Dial(ctx, sys.Gateway.URL()+"?"+query("action", "joinSession", "sessionId", id, "targetLanguage", "es"), nil)
			if err != nil {
				return fmt.Errorf("listener %d: %w", i, err)
			}
			audience[i] = &audioCounter{conn: conn, seen: map[int64]int{}}
			go audience[i].read()
			t.Cleanup(func() { _ = conn.CloseNow() })
			return nil
		})
	}
	require.NoError(t, g.Wait())
	t.Logf("joined in %v", time.Since(joinStart))
	bcastStart := time.Now()

	pages, throttled := 0, 0
	for seq := range messages {
		payload := router.AudioData{SessionID: id, TargetLanguage: "es", Audio: []byte("chunk"), Sequence: int64(seq)}.Encode(time.Now())
		// The age is the test's patience, not audio's second: this test is
		// about reaching everyone once; unit tests hold the age rule.
		ev, err := router.NewBroadcastEventWithAge(id, "es", payload, time.Minute)
		require.NoError(t, err)
		out, err := sys.Invoke(t.Context(), ev)
		require.NoError(t, err)
		var res router.BroadcastResult
		require.NoError(t, json.Unmarshal(out, &res))
		require.Nil(t, res.Refused)
		assert.Equal(t, listeners, res.Listeners)
		assert.Zero(t, res.Failed+res.Dropped+res.Stale, "message %d: %+v", seq, res)
		pages += res.PagesScheduled
		throttled += res.Throttled
	}
	assert.Equal(t, messages*((listeners+pageSize-1)/pageSize-1), pages, "every page but the receiving invocation's is scheduled")
	assert.Positive(t, throttled, "the receiving invocation met 429s and retried them")

	eventually(t, func() bool {
		for _, a := range audience {
			if d, _ := a.counts(); d < messages {
				return false
			}
		}
		return true
	}, "every listener got every message")
	t.Logf("heard in %v", time.Since(bcastStart))
	sys.settle(t) // no page is still posting
	for i, a := range audience {
		d, r := a.counts()
		assert.Equal(t, messages, d, "listener %d", i)
		assert.Zero(t, r, "listener %d got a message twice", i)
	}
}
