package session_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func TestBroadcast(t *testing.T) {
	payload := session.Payload{Data: json.RawMessage(`{"type":"translation","text":"Friede sei mit euch"}`)}

	t.Run("a payload reaches every connected listener of its language and no one else", func(t *testing.T) {
		f := newFixture(t, session.Config{FanoutWorkers: 2})
		f.seed("de", "de", "de", "fr", "de")
		hold(f, "l2", start.Add(time.Minute))
		f.msgr.setGone("l4")

		res, err := f.svc.Broadcast(f.ctx(), seededID, "de", payload)

		require.NoError(t, err)
		assert.Equal(t, 2, res.Delivered)
		assert.Zero(t, res.Failed)
		require.Len(t, res.Gone, 1)
		assert.Equal(t, "l4", res.Gone[0].ID)
		for _, id := range []string{"l0", "l1"} {
			assert.Equal(t, []session.Message{payload}, f.msgr.to(id), id)
		}
		for _, id := range []string{"l2", "l3", "l4", "spk"} {
			assert.Empty(t, f.msgr.to(id), id)
		}
		assert.Empty(t, f.msgr.closed(), "a broadcast closes no one")
	})

	t.Run("a listener found gone keeps its seat for the reconnect window", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("de", "de")
		f.msgr.setGone("l1")

		_, err := f.svc.Broadcast(f.ctx(), seededID, "de", payload)

		require.NoError(t, err)
		assert.Equal(t, start.Add(window), f.record("l1").HeldUntil)
		assert.Equal(t, 2, f.stored(seededID).ListenerCount)
	})

	t.Run("a post that fails otherwise is counted and the listener kept", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("de", "de")
		f.msgr.setSendFault(errBoom)

		res, err := f.svc.Broadcast(f.ctx(), seededID, "de", payload)

		require.NoError(t, err)
		assert.Equal(t, session.FanoutResult{Failed: 2, Listeners: 2}, res)
		assert.False(t, f.record("l0").Held())
	})

	t.Run("a fan-out whose context ended starts no more posts", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("de", "de", "de")
		ctx, cancel := context.WithCancel(f.ctx())
		cancel()

		res, err := f.svc.Broadcast(ctx, seededID, "de", payload)

		require.NoError(t, err)
		assert.Equal(t, 3, res.Failed)
		assert.Empty(t, f.msgr.all())
	})

	refusals := []struct {
		name      string
		sessionID string
		lang      string
		code      session.Code
	}{
		{name: "a payload for a malformed session id is INVALID_SESSION_ID", sessionID: "not an id", lang: "de", code: session.CodeInvalidSessionID},
		{name: "a payload in an unsupported language is UNSUPPORTED_LANGUAGE", sessionID: seededID, lang: "xx", code: session.CodeUnsupportedLanguage},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{})
			f.seed("de")
			_, err := f.svc.Broadcast(f.ctx(), tc.sessionID, tc.lang, payload)
			assert.Equal(t, tc.code, codeOf(err))
			assert.Empty(t, f.msgr.all())
		})
	}

	t.Run("listeners that cannot be listed are reported", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.mem.FailNext("Connections.Audience", errBoom)
		_, err := f.svc.Broadcast(f.ctx(), seededID, "de", payload)
		assert.ErrorIs(t, err, errBoom)
	})

	t.Run("a gone listener whose seat cannot be held is still reported gone", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("de")
		f.msgr.setGone("l0")
		f.mem.FailNext("Connections.Hold", errBoom)
		res, err := f.svc.Broadcast(f.ctx(), seededID, "de", payload)
		require.NoError(t, err)
		assert.Len(t, res.Gone, 1)
	})

	t.Run("every listener of an audience larger than the worker pool gets exactly one post", func(t *testing.T) {
		f := newFixture(t, session.Config{FanoutWorkers: 4, MaxListenersPerSession: 1000})
		langs := make([]string, 300)
		for i := range langs {
			langs[i] = "de"
		}
		f.seed(langs...)
		res, err := f.svc.Broadcast(f.ctx(), seededID, "de", payload)
		require.NoError(t, err)
		assert.Equal(t, 300, res.Delivered)
		posts := map[string]int{}
		for _, d := range f.msgr.all() {
			posts[d.to]++
		}
		assert.Len(t, posts, 300)
		for id, n := range posts {
			assert.Equal(t, 1, n, id)
		}
	})
}

func TestBroadcastAudienceCache(t *testing.T) {
	payload := session.Payload{Data: json.RawMessage(`{"type":"audioData"}`)}
	broadcast := func(f *fixture, lang string) session.FanoutResult {
		f.t.Helper()
		res, err := f.svc.Broadcast(f.ctx(), seededID, lang, payload)
		require.NoError(f.t, err)
		return res
	}
	ttl := session.DefaultConfig().AudienceCacheFor

	t.Run("the listeners are read once per AudienceCacheFor, not once per chunk", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("de", "de")
		for range 8 {
			assert.Equal(t, 2, broadcast(f, "de").Delivered)
			f.clock.advance(ttl / 8)
		}
		assert.Equal(t, 1, f.mem.CallCount("Connections.Audience"))
		broadcast(f, "de")
		assert.Equal(t, 2, f.mem.CallCount("Connections.Audience"), "read again once stale")
		broadcast(f, "fr")
		assert.Equal(t, 3, f.mem.CallCount("Connections.Audience"), "each language has its own entry")
	})

	t.Run("a listener this instance seats is heard at the next chunk", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("de")
		broadcast(f, "de")
		f.join("l-new", "203.0.113.9", seededID, "de")
		broadcast(f, "de")
		assert.Equal(t, []session.Message{payload}, f.msgr.to("l-new"))
	})

	t.Run("a listener this instance moves to another language follows at the next chunk", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("de", "fr")
		broadcast(f, "de")
		broadcast(f, "fr")
		require.NoError(t, f.svc.ChangeLanguage(f.ctx(), "l0", "fr"))
		f.msgr.reset()
		assert.Zero(t, broadcast(f, "de").Delivered)
		assert.Equal(t, 2, broadcast(f, "fr").Delivered)
	})

	t.Run("a listener seated elsewhere is heard once the entry is stale", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("de")
		broadcast(f, "de")
		f.mem.PutConnection(session.Connection{ID: "l-elsewhere", SessionID: seededID, Role: session.RoleListener, TargetLanguage: "de", ConnectedAt: start, LastSeenAt: start})
		broadcast(f, "de")
		assert.Empty(t, f.msgr.to("l-elsewhere"), "within AudienceCacheFor")
		f.clock.advance(ttl)
		broadcast(f, "de")
		assert.Equal(t, []session.Message{payload}, f.msgr.to("l-elsewhere"))
	})

	t.Run("a listener found gone is posted to once, not once per chunk", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("de", "de")
		f.msgr.setGone("l1")
		assert.Len(t, broadcast(f, "de").Gone, 1)
		holds := f.mem.CallCount("Connections.Hold")
		res := broadcast(f, "de")
		assert.Empty(t, res.Gone)
		assert.Equal(t, 1, res.Delivered)
		assert.Equal(t, holds, f.mem.CallCount("Connections.Hold"), "no more clean-up for it")
	})

	t.Run("an ending in this instance forgets its session's audiences", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("de")
		broadcast(f, "de")
		require.NoError(t, f.svc.EndSession(f.ctx(), seededID, "spk", session.ReasonSpeakerEnded))
		f.msgr.reset()
		res := broadcast(f, "de")
		assert.Equal(t, session.FanoutResult{}, res, "its listeners are no longer the audience")
		assert.Empty(t, f.msgr.all())
	})
}
