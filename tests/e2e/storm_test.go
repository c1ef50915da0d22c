package e2e

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"

	"github.com/livecast/sessions/audiostream"
	"github.com/livecast/sessions/local/ddbcontention"
	"github.com/livecast/sessions/session"
)

// stormOutcome is how one of many simultaneous joins ended.
type stormOutcome struct {
	status int    // 101 when admitted
	code   string // the error code of a refusal
	conn   *websocket.Conn
}

// joinStorm opens n listener connections to sessionID at the same moment
// (released together by one barrier) and returns how each ended.
func (s *system) joinStorm(t *testing.T, sessionID string, n int) []stormOutcome {
	t.Helper()
	out := make([]stormOutcome, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			conn, resp, err := websocket.Dial(ctx, s.Gateway.URL()+"?"+query("action", "joinSession", "sessionId", sessionID, "targetLanguage", []string{"es", "fr", "de"}[i%3]), nil)
			switch {
			case err == nil:
				out[i] = stormOutcome{status: http.StatusSwitchingProtocols, conn: conn}
			case resp != nil:
				var body struct{ Code string }
				raw, _ := io.ReadAll(resp.Body)
				_ = json.Unmarshal(raw, &body)
				out[i] = stormOutcome{status: resp.StatusCode, code: body.Code}
			default:
				out[i] = stormOutcome{code: err.Error()}
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, o := range out {
		if o.conn != nil {
			t.Cleanup(func() { _ = o.conn.CloseNow() })
		}
	}
	return out
}

// TestJoinStormFillsEverySeatOnContendedDynamoDB runs the start of a popular
// broadcast against a DynamoDB stand-in that cancels overlapping
// transactions as DynamoDB does (items held 20 ms): every seat is taken and
// every other join is refused as full, never as unavailable; then everyone
// leaves at once and the counts come back to zero. `make bench` runs the
// same at full size (150 into 100, 500 into 500).
func TestJoinStormFillsEverySeatOnContendedDynamoDB(t *testing.T) {
	const capacity, joiners = 40, 60
	proxy := ddbcontention.Start(t, dynamoEndpoint, ddbcontention.Options{})
	sys := startSystemWith(t, map[string]string{
		"MAX_LISTENERS_PER_SESSION":              "40",
		"RATE_LIMIT_LISTENER_JOINS_PER_MIN":      "1000",
		"RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN": "1000",
	}, systemOptions{dynamoEndpoint: proxy.URL()})
	_, id := sys.speaker(t, "alice")

	outcomes := sys.joinStorm(t, id, joiners)
	tally := map[string]int{}
	var admitted []*websocket.Conn
	for _, o := range outcomes {
		switch {
		case o.status == http.StatusSwitchingProtocols:
			tally["admitted"]++
			admitted = append(admitted, o.conn)
		default:
			tally[o.code]++
		}
	}
	stats := proxy.Stats()
	t.Logf("outcomes %v; stand-in: %d transactions cancelled, %d single writes refused", tally, stats.TransactionsCancelled, stats.SingleWritesRefused)
	assert.Equal(t, map[string]int{"admitted": capacity, "SESSION_FULL": joiners - capacity}, tally)
	v := sys.session(t, id)
	assert.Equal(t, capacity, v.Count)
	assert.Equal(t, capacity, sys.listenerRecords(t, id), "counts equal records")

	var wg sync.WaitGroup
	for _, c := range admitted {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Close(websocket.StatusNormalClosure, "bye")
		}()
	}
	wg.Wait()
	eventually(t, func() bool { return sys.session(t, id).Count == 0 && sys.listenerRecords(t, id) == 0 }, "everyone left: counts back to zero")
	assert.Empty(t, nonZeroCounts(sys.session(t, id).ByLanguage))
	t.Run("the pipeline hears each language come once and go once", func(t *testing.T) {
		var sets []*audiostream.Control
		for _, r := range sys.controlRecords(t, id) {
			if r.Control.Kind == session.PipelineLanguages {
				sets = append(sets, r.Control)
			}
		}
		t.Logf("%d joins and %d leaves over three languages: %d language records", joiners, capacity, len(sets))
		assert.Len(t, sets, 6, "three 0→1 edges, three 1→0 edges")
		// Concurrent leaves put from concurrent invocations: their records
		// may land in any order, and the version says which is the latest.
		latest := slices.MaxFunc(sets, func(a, b *audiostream.Control) int { return cmp.Compare(a.StateVersion, b.StateVersion) })
		assert.Equal(t, []string{}, latest.TargetLanguages)
	})
}
