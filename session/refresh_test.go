package session_test

import (
	"cmp"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func speakerRefreshQuery(sessionID, token string) string {
	return "action=refreshConnection&role=speaker&sessionId=" + sessionID + "&token=" + token
}

func listenerRefreshQuery(sessionID, lang, resumeToken string) string {
	q := "action=refreshConnection&role=listener&sessionId=" + sessionID + "&targetLanguage=" + lang
	if resumeToken != "" {
		q += "&resumeToken=" + resumeToken
	}
	return q
}

func TestSpeakerRefresh(t *testing.T) {
	cases := []struct {
		name       string
		paused     bool // the speaker paused the broadcast itself
		lost       bool // the old connection was lost before the refresh
		wantReturn *session.SpeakerReturn
	}{
		{name: "a speaker refreshing before the wall takes the session over"},
		{name: "a speaker back within its window resumes a broadcast the gap paused", lost: true,
			wantReturn: &session.SpeakerReturn{Resumed: true, Broadcast: session.BroadcastState{Volume: 1}}},
		{name: "a speaker back within its window keeps its own pause", lost: true, paused: true,
			wantReturn: &session.SpeakerReturn{Resumed: false, Broadcast: session.BroadcastState{Paused: true, Volume: 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{})
			s := f.seed("es")
			s.Broadcast.Paused = tc.paused
			f.mem.PutSession(s)
			f.clock.advance(30 * time.Minute)
			if tc.lost {
				require.NoError(t, f.svc.Disconnect(f.ctx(), "spk", 1006))
				require.False(t, f.stored(seededID).SpeakerConnected())
				f.clock.advance(time.Minute)
			}

			w, err := f.connect("spk2", "10.0.0.2", speakerRefreshQuery(seededID, aliceToken))

			require.NoError(t, err)
			version := int64(1) // the seed's 0, then the takeover
			if tc.lost {
				version = 2 // the loss, then the return
				tc.wantReturn.StateVersion = version
			}
			assert.Equal(t, session.Welcome{Kind: session.WelcomeRefreshed, ConnectionID: "spk2", SessionID: seededID, Role: session.RoleSpeaker,
				Audience: &session.Audience{SpeakerConnectionID: "spk2", Total: 1, ByLanguage: map[string]int{"es": 1}, StateVersion: version}, Return: tc.wantReturn, Replaces: "spk"}, w)
			after := f.stored(seededID)
			assert.Equal(t, "spk2", after.SpeakerConnectionID)
			assert.Equal(t, f.clock.Now().Add(2*time.Hour), after.ExpiresAt, "the session is extended")
			assert.True(t, after.SpeakerConnected())
			assert.False(t, after.GapPaused)
			assert.Equal(t, tc.paused, after.EffectiveBroadcast().Paused)
			assert.Equal(t, aliceID, f.record("spk2").UserID)
			assert.Empty(t, f.msgr.closed(), "the old connection stays open until the new one is welcomed")
			require.NoError(t, f.svc.Welcome(f.ctx(), w))
			assert.Contains(t, f.msgr.closed(), "spk", "v1.2: the replaced speaker connection is closed, open or half-open")
		})
	}
}

func TestListenerResume(t *testing.T) {
	const ip = "10.0.4.4"
	other := session.Session{ID: "holy-dove-102", SpeakerConnectionID: "spk-b", SpeakerUserID: bobID, SourceLanguage: "en",
		CreatedAt: start, ExpiresAt: start.Add(2 * time.Hour), Active: true, ByLanguage: map[string]int{}}
	cases := []struct {
		name      string
		lost      bool
		wait      time.Duration
		sessionID string
		lang      string
		refused   bool
	}{
		{name: "a lost listener takes its seat back at a full session", lost: true},
		{name: "a listener whose old connection is still open moves its seat"},
		{name: "a lost listener may come back until its hold ends", lost: true, wait: 119 * time.Second},
		{name: "a token presented after the hold ended is refused", lost: true, wait: 2 * time.Minute, refused: true},
		{name: "a token for another session is refused", lost: true, sessionID: other.ID, refused: true},
		{name: "a token for another language is refused", lost: true, lang: "es", refused: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{MaxListenersPerSession: 1})
			f.seed()
			f.mem.PutSession(other)
			joined := f.join("old", ip, seededID, "fr")
			if tc.lost {
				require.NoError(t, f.svc.Disconnect(f.ctx(), "old", 1006))
			}
			f.clock.advance(tc.wait)
			before := f.mem.State()
			f.msgr.reset()

			w, err := f.connect("new", ip, listenerRefreshQuery(cmp.Or(tc.sessionID, seededID), cmp.Or(tc.lang, "fr"), joined.ResumeToken))

			if tc.refused {
				var e *session.Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, session.CodeInvalidParameters, e.Code)
				assert.Equal(t, "resumeToken", e.Field)
				assert.Equal(t, before, f.mem.State())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, session.WelcomeRefreshed, w.Kind)
			assert.Equal(t, "fr", w.TargetLanguage)
			assert.NotEmpty(t, w.ResumeToken)
			assert.NotEqual(t, joined.ResumeToken, w.ResumeToken, "a fresh token")
			assert.Nil(t, w.Audience, "no count changed")
			assert.Equal(t, "old", w.Replaces)
			assert.Empty(t, f.msgr.closed(), "the old connection stays open until the new one is welcomed")
			require.NoError(t, f.svc.Welcome(f.ctx(), w))
			assert.Equal(t, []string{"old"}, f.msgr.closed(), "the old connection has no seat any more")
			_, oldKept := f.mem.Connection("old")
			assert.False(t, oldKept)
			assert.False(t, f.record("new").Held())
			assert.Equal(t, 1, f.stored(seededID).ListenerCount, "the seat changed hands, the count did not")
		})
	}

	t.Run("a token takes its seat back once, and the fresh one takes it back in turn", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed()
		joined := f.join("c1", ip, seededID, "fr")
		first, err := f.connect("c2", ip, listenerRefreshQuery(seededID, "fr", joined.ResumeToken))
		require.NoError(t, err)

		_, err = f.connect("c3", ip, listenerRefreshQuery(seededID, "fr", joined.ResumeToken))
		assert.Equal(t, session.CodeInvalidParameters, codeOf(err), "the spent token is refused")
		_, err = f.connect("c4", ip, listenerRefreshQuery(seededID, "fr", first.ResumeToken))
		assert.NoError(t, err)
		assert.Equal(t, []string{"c4", "spk"}, f.mem.ConnectionIDs())
		assert.Equal(t, 1, f.stored(seededID).ListenerCount)
	})

	t.Run("a seat whose old connection cannot be closed is still taken back", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed()
		joined := f.join("c1", ip, seededID, "fr")
		f.msgr.setGone("c1")
		_, err := f.connect("c2", ip, listenerRefreshQuery(seededID, "fr", joined.ResumeToken))
		assert.NoError(t, err)
	})
}

func TestTokenlessListenerRefresh(t *testing.T) {
	const ip = "10.0.5.5"
	t.Run("below capacity it is counted like a join", func(t *testing.T) {
		f := newFixture(t, session.Config{MaxListenersPerSession: 3})
		f.seed("fr")
		w, err := f.connect("new", ip, listenerRefreshQuery(seededID, "fr", ""))
		require.NoError(t, err)
		assert.Equal(t, session.WelcomeRefreshed, w.Kind)
		assert.NotEmpty(t, w.ResumeToken)
		require.NotNil(t, w.Audience)
		assert.Equal(t, 2, w.Audience.Total)
		assert.Equal(t, 2, f.stored(seededID).ListenerCount)
	})

	// At capacity the seeded listeners are l0 (connected at start), l1 (a
	// minute later), both from ip, and l2 from elsewhere; all listen in fr.
	cases := []struct {
		name     string
		age      time.Duration // how long after start the refresh comes
		adjust   func(f *fixture)
		lang     string
		replaced string // "" when the refresh is refused as full
	}{
		{name: "at capacity it replaces the oldest same-address connection already asked to refresh", age: 102 * time.Minute, replaced: "l0"},
		{name: "at capacity it skips a held seat for the next candidate", age: 102 * time.Minute, replaced: "l1", adjust: func(f *fixture) {
			_, err := f.mem.Connections().Hold(f.ctx(), "l0", start.Add(200*time.Minute))
			require.NoError(f.t, err)
		}},
		{name: "at capacity a connection not yet asked to refresh is not replaced", age: 99 * time.Minute},
		{name: "at capacity a connection from another address is not replaced", age: 102 * time.Minute, adjust: func(f *fixture) {
			for _, id := range []string{"l0", "l1"} {
				c := f.record(id)
				c.SourceIPHash = session.HashID("10.0.6.6")
				f.mem.PutConnection(c)
			}
		}},
		{name: "at capacity a connection in another language is not replaced", age: 102 * time.Minute, lang: "es"},
		{name: "at capacity a connection another refresh replaced first is not replaced twice", age: 102 * time.Minute, adjust: func(f *fixture) {
			f.mem.FailNext("Connections.Replace", fmt.Errorf("replace: %w", session.ErrNotFound))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{MaxListenersPerSession: 3})
			f.seed("fr", "fr", "fr")
			for i, id := range []string{"l0", "l1"} {
				c := f.record(id)
				c.SourceIPHash = session.HashID(ip)
				c.ConnectedAt = start.Add(time.Duration(i) * time.Minute)
				f.mem.PutConnection(c)
			}
			if tc.adjust != nil {
				tc.adjust(f)
			}
			f.clock.advance(tc.age)
			before := f.mem.State()

			w, err := f.connect("new", ip, listenerRefreshQuery(seededID, cmp.Or(tc.lang, "fr"), ""))

			if tc.replaced == "" {
				assert.Equal(t, session.CodeSessionFull, codeOf(err))
				assert.Equal(t, before, f.mem.State())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, session.WelcomeRefreshed, w.Kind)
			assert.NotEmpty(t, w.ResumeToken)
			_, kept := f.mem.Connection(tc.replaced)
			assert.False(t, kept, "the replaced record is gone")
			assert.Equal(t, session.HashID(ip), f.record("new").SourceIPHash)
			assert.Len(t, f.mem.ConnectionIDs(), 4, "three listeners and the speaker")
			assert.Equal(t, 3, f.stored(seededID).ListenerCount)
			assert.Empty(t, f.msgr.closed(), "the replaced connection stays open until the new one is welcomed")
			require.NoError(t, f.svc.Welcome(f.ctx(), w))
			assert.Equal(t, []string{tc.replaced}, f.msgr.closed(), "v1.2: the replaced connection is closed, whoever holds it (one seat, one open connection)")
		})
	}

	t.Run("a failure listing the candidates is reported", func(t *testing.T) {
		f := newFixture(t, session.Config{MaxListenersPerSession: 1})
		f.seed("fr")
		f.mem.FailNext("Connections.Listeners", errBoom)
		_, err := f.connect("new", ip, listenerRefreshQuery(seededID, "fr", ""))
		assert.ErrorIs(t, err, errBoom)
		assert.Equal(t, session.CodeInternal, codeOf(err))
	})
}

func TestResumeIntoAnEndedSession(t *testing.T) {
	f := newFixture(t, session.Config{})
	f.seed()
	joined := f.join("old", "10.0.2.1", seededID, "fr")
	require.NoError(t, f.svc.Disconnect(f.ctx(), "old", 1006))
	require.NoError(t, f.svc.EndSession(f.ctx(), seededID, "spk", session.ReasonSpeakerEnded))

	_, err := f.connect("new", "10.0.2.1", listenerRefreshQuery(seededID, "fr", joined.ResumeToken))

	assert.Equal(t, session.CodeSessionNotFound, codeOf(err))
}
