package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docs/PROTOCOL.md v1.1 "Connection loss and reconnection", with connections that
// drop for real (TCP reset, no close frame).

func TestSpeakerDropAndReturnKeepsTheBroadcast(t *testing.T) {
	sys := startSystem(t, nil)
	spk := sys.dialDroppable(t, query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", sys.token(t, "alice")))
	id := spk.expect("sessionCreated")["sessionId"].(string)
	l := sys.listener(t, id, "es")

	before := time.Now()
	spk.drop()
	m := l.expect("speakerDisconnected")
	deadline := time.UnixMilli(int64(m["reconnectDeadline"].(float64)))
	assert.WithinDuration(t, before.Add(120*time.Second), deadline, 5*time.Second, "the default window is 120 s")
	assert.Equal(t, true, l.expect("broadcastState")["paused"])
	l.expect("sessionPaused")
	require.True(t, sys.session(t, id).Active, "a lost connection does not end the session")

	l.send(map[string]string{"action": "getSessionStatus"})
	assert.Equal(t, false, l.expect("sessionStatus")["speakerConnected"])

	spk2 := sys.dial(t, query("action", "refreshConnection", "role", "speaker", "sessionId", id, "token", sys.token(t, "alice")))
	spk2.expect("connectionRefreshComplete")
	assert.EqualValues(t, 1, spk2.expect("listenerCount")["total"], "the returning speaker knows its audience")
	l.expect("speakerReconnected")
	assert.Equal(t, false, l.expect("broadcastState")["paused"])
	l.expect("sessionResumed")

	l.send(map[string]string{"action": "getSessionStatus"})
	st := l.expect("sessionStatus")
	assert.Equal(t, true, st["speakerConnected"])
	assert.Equal(t, true, st["isActive"])
}

func TestSpeakerThatPausedStaysPausedAfterReturning(t *testing.T) {
	sys := startSystem(t, nil)
	spk := sys.dialDroppable(t, query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", sys.token(t, "alice")))
	id := spk.expect("sessionCreated")["sessionId"].(string)
	l := sys.listener(t, id, "es")
	spk.send(map[string]string{"action": "controlSession", "command": "pause"})
	l.expect("broadcastState")
	l.expect("sessionPaused")

	spk.drop()
	l.expect("speakerDisconnected")
	l.quiet(300 * time.Millisecond) // already paused: no second pause

	spk2 := sys.dial(t, query("action", "refreshConnection", "role", "speaker", "sessionId", id, "token", sys.token(t, "alice")))
	spk2.expect("connectionRefreshComplete")
	l.expect("speakerReconnected")
	l.quiet(300 * time.Millisecond) // the speaker's own pause stays
}

func TestSpeakerDropWithoutReturnEndsTheSessionAfterTheWindow(t *testing.T) {
	sys := startSystem(t, map[string]string{"RECONNECT_WINDOW_SECONDS": "1"})
	spk := sys.dialDroppable(t, query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", sys.token(t, "alice")))
	id := spk.expect("sessionCreated")["sessionId"].(string)
	l := sys.listener(t, id, "es")
	spk.drop()
	l.expect("speakerDisconnected")

	rep, _ := sys.sweep(t)
	assert.Zero(t, rep.Ended, "within the window the sweep waits")
	sys.clock.Advance(1100 * time.Millisecond)
	rep, _ = sys.sweep(t)
	assert.Equal(t, 1, rep.Ended)
	assert.Equal(t, "speakerDisconnected", l.skipUntil("sessionEnded")["reason"])
	assert.Equal(t, websocket.StatusNormalClosure, l.expectClosed())
	assert.False(t, sys.session(t, id).Active)

	_, status, _ := sys.tryDial(t, query("action", "refreshConnection", "role", "speaker", "sessionId", id, "token", sys.token(t, "alice")))
	assert.Equal(t, http.StatusNotFound, status, "too late to come back")
}

func TestSpeakerCloseAndEndSessionEndAtOnce(t *testing.T) {
	sys := startSystem(t, nil)

	t.Run("a 1000 close ends the session for everyone", func(t *testing.T) {
		spk, id := sys.speaker(t, "alice")
		l := sys.listener(t, id, "es")
		spk.close()
		assert.Equal(t, "speakerDisconnected", l.expect("sessionEnded")["reason"])
		assert.Equal(t, websocket.StatusNormalClosure, l.expectClosed())
	})

	t.Run("endSession from a listener is forbidden", func(t *testing.T) {
		_, id := sys.speaker(t, "bob")
		l := sys.listener(t, id, "es")
		l.send(map[string]string{"action": "endSession"})
		assert.Equal(t, "FORBIDDEN", l.expect("error")["code"])
		assert.True(t, sys.session(t, id).Active)
	})

	t.Run("endSession from the speaker tells everyone and closes every connection", func(t *testing.T) {
		spk, id := sys.speaker(t, "carol")
		l1, l2 := sys.listener(t, id, "es"), sys.listener(t, id, "fr")
		spk.send(map[string]string{"action": "endSession"})
		for _, l := range []*client{l1, l2} {
			assert.Equal(t, "speakerEnded", l.expect("sessionEnded")["reason"])
			assert.Equal(t, websocket.StatusNormalClosure, l.expectClosed())
		}
		assert.Equal(t, "speakerEnded", spk.skipUntil("sessionEnded")["reason"])
		spk.expectClosed()
		assert.False(t, sys.session(t, id).Active)
		assert.Zero(t, sys.listenerRecords(t, id))
	})
}

func TestListenerSeatIsHeldAndReclaimedAtAFullSession(t *testing.T) {
	sys := startSystem(t, map[string]string{"MAX_LISTENERS_PER_SESSION": "2"})
	_, id := sys.speaker(t, "alice")
	dropped := sys.dialDroppable(t, query("action", "joinSession", "sessionId", id, "targetLanguage", "es"))
	welcome := dropped.expect("sessionJoined")
	token, _ := welcome["resumeToken"].(string)
	require.NotEmpty(t, token, "every listener welcome carries a resume token")
	sys.listener(t, id, "fr")

	dropped.drop()
	connID := welcome["connectionId"].(string)
	eventually(t, func() bool {
		c, err := sys.Graph.Store.Connections.Get(context.Background(), connID)
		return err == nil && c.Held()
	}, "the lost listener's seat is held")
	assert.Equal(t, 2, sys.session(t, id).Count, "a held seat still counts")

	_, status, body := sys.tryDial(t, query("action", "joinSession", "sessionId", id, "targetLanguage", "es"))
	assert.Equal(t, http.StatusServiceUnavailable, status, "a stranger cannot take a held seat")
	assert.Equal(t, "SESSION_FULL", body["code"])

	_, status, body = sys.tryDial(t, query("action", "refreshConnection", "role", "listener", "sessionId", id, "targetLanguage", "es"))
	assert.Equal(t, http.StatusServiceUnavailable, status, "a token-less refresh matched to nothing counts like a join")
	assert.Equal(t, "SESSION_FULL", body["code"])

	back := sys.dial(t, query("action", "refreshConnection", "role", "listener", "sessionId", id, "targetLanguage", "es", "resumeToken", token))
	m := back.expect("connectionRefreshComplete")
	assert.Equal(t, "listener", m["role"])
	fresh, _ := m["resumeToken"].(string)
	assert.NotEmpty(t, fresh)
	assert.NotEqual(t, token, fresh, "a fresh token for the next loss")
	assert.Equal(t, 2, sys.session(t, id).Count, "taking the seat back does not count twice")
	assert.Equal(t, 2, sys.listenerRecords(t, id))

	for name, q := range map[string]string{
		"a reused token":   query("action", "refreshConnection", "role", "listener", "sessionId", id, "targetLanguage", "es", "resumeToken", token),
		"a forged token":   query("action", "refreshConnection", "role", "listener", "sessionId", id, "targetLanguage", "es", "resumeToken", "Zm9v.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
		"a malformed one":  query("action", "refreshConnection", "role", "listener", "sessionId", id, "targetLanguage", "es", "resumeToken", "not-a-token"),
		"another language": query("action", "refreshConnection", "role", "listener", "sessionId", id, "targetLanguage", "fr", "resumeToken", fresh),
	} {
		t.Run(name+" is refused and takes no seat", func(t *testing.T) {
			_, status, body := sys.tryDial(t, q)
			assert.Equal(t, http.StatusBadRequest, status)
			assert.Equal(t, "resumeToken", body["details"].(map[string]any)["field"])
			assert.Equal(t, 2, sys.session(t, id).Count)
		})
	}

	other := seedSession(t, sys, "gentle-shepherd-321")
	_, status, _ = sys.tryDial(t, query("action", "refreshConnection", "role", "listener", "sessionId", other, "targetLanguage", "es", "resumeToken", fresh))
	assert.Equal(t, http.StatusBadRequest, status, "a token of another session is refused")
	assert.Zero(t, sys.session(t, other).Count)
}

func TestHeldSeatIsReleasedAfterTheWindow(t *testing.T) {
	sys := startSystem(t, map[string]string{"RECONNECT_WINDOW_SECONDS": "1"})
	_, id := sys.speaker(t, "alice")
	dropped := sys.dialDroppable(t, query("action", "joinSession", "sessionId", id, "targetLanguage", "es"))
	token := dropped.expect("sessionJoined")["resumeToken"].(string)
	sys.awaitDisconnect(t, dropped.drop)
	sys.clock.Advance(1100 * time.Millisecond)
	rep, _ := sys.sweep(t)
	assert.Equal(t, 1, rep.Released)
	assert.Zero(t, sys.session(t, id).Count)
	assert.Zero(t, sys.listenerRecords(t, id))

	_, status, _ := sys.tryDial(t, query("action", "refreshConnection", "role", "listener", "sessionId", id, "targetLanguage", "es", "resumeToken", token))
	assert.Equal(t, http.StatusBadRequest, status, "an expired token takes nothing")
	assert.Zero(t, sys.session(t, id).Count)
}

func TestDeliberateListenerClosesReleaseAtOnce(t *testing.T) {
	sys := startSystem(t, nil)
	_, id := sys.speaker(t, "alice")
	for _, code := range []websocket.StatusCode{websocket.StatusNormalClosure, websocket.StatusGoingAway} {
		l := sys.listener(t, id, "es")
		eventually(t, func() bool { return sys.session(t, id).Count == 1 }, "joined")
		_ = l.conn.Close(code, "bye")
		eventually(t, func() bool { return sys.session(t, id).Count == 0 }, "a "+code.String()+" close releases the seat at once")
		assert.Zero(t, sys.listenerRecords(t, id))
	}
}

func TestOriginalClientRefreshAtAFullSessionIsAccepted(t *testing.T) {
	sys := startSystem(t, map[string]string{"MAX_LISTENERS_PER_SESSION": "1"})
	spk, id := sys.speaker(t, "alice")
	old := sys.listener(t, id, "es")
	spk.skipUntil("listenerCount")

	sys.clock.Advance(101 * time.Minute)
	beat(spk) // the speaker stays alive too
	old.send(map[string]string{"action": "heartbeat"})
	old.expect("heartbeatAck")
	old.expect("connectionRefreshRequired")

	sys.awaitDisconnect(t, func() {
		next := sys.dial(t, query("action", "refreshConnection", "role", "listener", "sessionId", id, "targetLanguage", "es"))
		next.expect("connectionRefreshComplete")
		assert.Equal(t, websocket.StatusNormalClosure, old.expectClosed(), "v1.2: the replaced connection is closed by the service")
	})
	assert.Equal(t, 1, sys.session(t, id).Count, "the refresh replaced its connection, at capacity")
	assert.Equal(t, 1, sys.listenerRecords(t, id))

	_, status, _ := sys.tryDial(t, query("action", "refreshConnection", "role", "listener", "sessionId", id, "targetLanguage", "es"))
	assert.Equal(t, http.StatusServiceUnavailable, status, "a second token-less refresh has nothing left to replace")
}
