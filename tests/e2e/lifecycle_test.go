package e2e

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/router"
)

var generousLimits = map[string]string{
	"RATE_LIMIT_LISTENER_JOINS_PER_MIN":      "100000",
	"RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN": "100000",
}

func withEnv(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestFiftyConcurrentJoinsNeverPassCapacity(t *testing.T) {
	sys := startSystem(t, withEnv(generousLimits, "MAX_LISTENERS_PER_SESSION", "10"))
	_, id := sys.speaker(t, "owner")
	const joiners = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted, full := 0, 0
	for range joiners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, status, body := sys.tryDial(t, query("action", "joinSession", "sessionId", id, "targetLanguage", "es"))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case c != nil:
				admitted++
			case status == 503 && body["code"] == "SESSION_FULL":
				full++
			default:
				t.Errorf("unexpected refusal %d %v", status, body)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 10, admitted)
	assert.Equal(t, joiners-10, full)
	assert.Equal(t, 10, sys.session(t, id).Count)
	assert.Equal(t, 10, sys.listenerRecords(t, id))
}

func TestSpeakerLeavingNotifiesAHundredListeners(t *testing.T) {
	sys := startSystem(t, generousLimits)
	spk, id := sys.speaker(t, "owner")
	const n = 100
	listeners := make([]*client, n)
	langs := []string{"es", "fr", "de", "it", "pt"}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 10)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			listeners[i] = sys.listener(t, id, langs[i%len(langs)])
		}()
	}
	wg.Wait()
	require.Equal(t, n, sys.session(t, id).Count)
	spk.close()
	for i, l := range listeners {
		ended := l.skipUntil("sessionEnded")
		assert.Equal(t, id, ended["sessionId"], "listener %d", i)
		assert.Equal(t, "speakerDisconnected", ended["reason"])
		assert.Equal(t, websocket.StatusNormalClosure, l.expectClosed(), "listener %d is disconnected by the service", i)
		for m := range l.msgs {
			assert.NotEqual(t, "sessionEnded", m["type"], "sessionEnded exactly once")
		}
	}
	eventually(t, func() bool { return sys.listenerRecords(t, id) == 0 }, "every listener record removed")
	assert.False(t, sys.session(t, id).Active)
}

func TestRefreshKeepsTheSessionAndCounts(t *testing.T) {
	sys := startSystem(t, nil)
	oldSpk, id := sys.speaker(t, "owner")
	oldL := sys.listener(t, id, "es")
	oldSpk.expect("listenerCount")

	outer := t // connections outlive their subtest
	t.Run("listener refresh overlaps, then the old close uncounts once", func(t *testing.T) {
		newL := sys.dial(outer, query("action", "refreshConnection", "role", "listener", "sessionId", id, "targetLanguage", "es"))
		done := newL.expect("connectionRefreshComplete")
		assert.Equal(t, "listener", done["role"])
		assert.Equal(t, "es", done["targetLanguage"])
		assert.Equal(t, 2, sys.session(t, id).Count, "both connections count during the overlap")
		oldL.close()
		eventually(t, func() bool { return sys.session(t, id).Count == 1 }, "back to one listener")
		assert.Equal(t, 1, sys.listenerRecords(t, id))
		oldL = newL
	})

	t.Run("speaker refresh takes over and closes the old connection, whose close does not end the session", func(t *testing.T) {
		var newSpk *client
		sys.awaitDisconnect(t, func() {
			newSpk = sys.dial(t, query("action", "refreshConnection", "role", "speaker", "sessionId", id, "token", sys.token(t, "owner")))
			assert.Equal(t, "speaker", newSpk.expect("connectionRefreshComplete")["role"])
			assert.Equal(t, 1.0, newSpk.expect("listenerCount")["total"], "the new connection starts knowing its audience")
			assert.Equal(t, websocket.StatusNormalClosure, oldSpk.expectClosed(), "v1.2: one speaker connection at a time")
		})
		v := sys.session(t, id)
		assert.True(t, v.Active)
		assert.Equal(t, 1, v.Count)
		oldL.quiet(200 * time.Millisecond)
		newSpk.send(map[string]string{"action": "controlSession", "command": "pause"})
		oldL.expect("broadcastState")
		newSpk.close()
		assert.Equal(t, "speakerDisconnected", oldL.skipUntil("sessionEnded")["reason"])
	})
}

func TestReplayedEventsChangeNothing(t *testing.T) {
	sys := startSystem(t, nil)
	_, id := sys.speaker(t, "owner")
	join := apiEvent(t, "CONNECT", "$connect", "replayed-conn", map[string]string{"action": "joinSession", "sessionId": id, "targetLanguage": "es"}, "")

	resp, _ := sys.invoke(t, join)
	require.Equal(t, 200, resp.StatusCode)
	resp, _ = sys.invoke(t, join)
	assert.Equal(t, 200, resp.StatusCode, "a replayed $connect is accepted")
	assert.Equal(t, 1, sys.session(t, id).Count, "but counted once")

	leave := apiEvent(t, "DISCONNECT", "$disconnect", "replayed-conn", nil, "")
	resp, _ = sys.invoke(t, leave)
	require.Equal(t, 200, resp.StatusCode)
	resp, _ = sys.invoke(t, leave)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 0, sys.session(t, id).Count, "uncounted once, never below zero")
}

func TestBroadcastFansOutAndDropsGoneConnections(t *testing.T) {
	sys := startSystem(t, generousLimits)
	spk, id := sys.speaker(t, "owner")
	es := []*client{sys.listener(t, id, "es"), sys.listener(t, id, "es"), sys.listener(t, id, "es")}
	fr := sys.listener(t, id, "fr")
	// A listener whose $disconnect never arrived: its record exists, its
	// connection does not (API Gateway answers 410).
	resp, _ := sys.invoke(t, apiEvent(t, "CONNECT", "$connect", "ghost", map[string]string{"action": "joinSession", "sessionId": id, "targetLanguage": "es"}, ""))
	require.Equal(t, 200, resp.StatusCode)
	require.Equal(t, 5, sys.session(t, id).Count)

	ev, err := router.NewBroadcastEvent(id, "es", json.RawMessage(fmt.Sprintf(`{"type":"audioData","timestamp":1764300000000,"sessionId":%q,"targetLanguage":"es","audioData":"SG9sYQ==","sequence":1}`, id)))
	require.NoError(t, err)
	out, err := sys.Invoke(t.Context(), ev)
	require.NoError(t, err)
	var res router.BroadcastResult
	require.NoError(t, json.Unmarshal(out, &res))
	assert.Equal(t, router.BroadcastResult{Delivered: 3, Dropped: 1, Listeners: 4}, res)
	for _, l := range es {
		assert.Equal(t, "SG9sYQ==", l.expect("audioData")["audioData"])
	}
	fr.quiet(200 * time.Millisecond)
	ghost, err := sys.Graph.Store.Connections.Get(t.Context(), "ghost")
	require.NoError(t, err)
	assert.True(t, ghost.Held(), "a gone connection is a lost one: its seat is held for the reconnect window")
	out, err = sys.Invoke(t.Context(), ev)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(out, &res))
	assert.Equal(t, router.BroadcastResult{Delivered: 3, Listeners: 3}, res, "held seats are left out of the next fan-out")
	for _, l := range es {
		l.expect("audioData")
	}
	_ = spk

	t.Run("a client cannot forge the internal event", func(t *testing.T) {
		fr.sendOffContract(map[string]any{"sessionService": "broadcast", "sessionId": id, "targetLanguage": "fr", "payload": map[string]string{"type": "evil"}})
		assert.Equal(t, "INVALID_ACTION", fr.expect("error")["code"])
	})
	t.Run("bad broadcast input is refused in the answer, not as a function error", func(t *testing.T) {
		for ev, code := range map[string]string{
			`{"sessionService":"broadcast","sessionId":"nope","targetLanguage":"es","payload":{}}`:                                                       "INVALID_SESSION_ID",
			fmt.Sprintf(`{"sessionService":"broadcast","sessionId":%q,"targetLanguage":"xx","payload":{}}`, id):                                          "UNSUPPORTED_LANGUAGE",
			fmt.Sprintf(`{"sessionService":"broadcast","sessionId":%q,"targetLanguage":"es"}`, id):                                                       "INVALID_PARAMETERS",
			fmt.Sprintf(`{"sessionService":"broadcast","sessionId":%q,"targetLanguage":"es","payload":{"type":"audioData","audioData":"SG9sYQ=="}}`, id): "INVALID_PARAMETERS",
			fmt.Sprintf(`{"sessionService":"broadcast","sessionId":%q,"targetLanguage":"es","payload":{},"maxAgeMs":0}`, id):                             "INVALID_PARAMETERS",
		} {
			out, err := sys.Invoke(t.Context(), []byte(ev))
			require.NoError(t, err, ev)
			var res router.BroadcastResult
			require.NoError(t, json.Unmarshal(out, &res), ev)
			require.NotNil(t, res.Refused, ev)
			assert.Equal(t, code, res.Refused.Code, ev)
		}
	})
}

func TestRefreshAndWarningMessagesComeOnce(t *testing.T) {
	sys := startSystem(t, map[string]string{"RATE_LIMIT_HEARTBEATS_PER_MIN": "100"})
	spk, id := sys.speaker(t, "owner")
	l := sys.listener(t, id, "de")
	spk.expect("listenerCount")
	beat := func(c *client) { c.send(map[string]string{"action": "heartbeat"}); c.expect("heartbeatAck") }

	beat(l)
	l.quiet(100 * time.Millisecond)
	sys.clock.Advance(100*time.Minute + time.Second)
	beat(l)
	req := l.expect("connectionRefreshRequired")
	assert.Equal(t, id, req["sessionId"])
	assert.Equal(t, "listener", req["role"])
	assert.Equal(t, "de", req["targetLanguage"])
	beat(l)
	l.quiet(200 * time.Millisecond)

	beat(spk)
	assert.Equal(t, "speaker", spk.expect("connectionRefreshRequired")["role"])
	sys.clock.Advance(5 * time.Minute)
	beat(spk)
	warn := spk.expect("connectionWarning")
	assert.Equal(t, 15.0, warn["remainingMinutes"])
	beat(spk)
	spk.quiet(200 * time.Millisecond)
}

func TestGatewayLimitsCloseOversizedFrames(t *testing.T) {
	sys := startSystem(t, map[string]string{"RECONNECT_WINDOW_SECONDS": "1"})
	_, id := sys.speaker(t, "owner")
	l := sys.listener(t, id, "es")
	big := make([]byte, 40<<10)
	for i := range big {
		big[i] = 'a'
	}
	sys.awaitDisconnect(t, func() {
		l.sendOffContract(big)
		assert.Equal(t, websocket.StatusMessageTooBig, l.expectClosed())
	})
	// A 1009 close is not the client's goodbye: the seat is held for the
	// window like any lost connection, then released.
	sys.clock.Advance(1100 * time.Millisecond)
	sys.sweep(t)
	eventually(t, func() bool { return sys.session(t, id).Count == 0 }, "the closed listener is uncounted after the window")
}
