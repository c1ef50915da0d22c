package session_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

// forgedToken is a well-formed resume token for connectionID that no seat
// ever issued.
func forgedToken(connectionID string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(connectionID)) + "." + enc.EncodeToString([]byte(strings.Repeat("s", 24)))
}

// refusalLimits are small limits so each can be reached in a few calls.
var refusalLimits = session.Config{MaxListenersPerSession: 2, ConnectionAttemptsPerMin: 3, ListenerJoinsPerMinute: 2, SessionsPerHour: 1}

func TestConnectRefusesAndStoresNothing(t *testing.T) {
	const ip = "10.9.9.9"
	join := "action=joinSession&sessionId=" + seededID + "&targetLanguage=es"
	create := "action=createSession&sourceLanguage=en&qualityTier=standard&token="
	speakerRefresh := "action=refreshConnection&role=speaker&sessionId=" + seededID + "&token="
	listenerRefresh := "action=refreshConnection&role=listener&sessionId=" + seededID + "&targetLanguage=es"
	seed := func(f *fixture) { f.seed() }
	cases := []struct {
		name       string
		setup      func(f *fixture)
		query      string
		code       session.Code
		field      string
		message    string
		sessionID  string
		retryAfter int
	}{
		{name: "a query without an action is refused naming the action", query: "sessionId=" + seededID, code: session.CodeInvalidParameters, field: "action"},
		{name: "an unknown action is refused as INVALID_ACTION", query: "action=dance", code: session.CodeInvalidAction, field: "action"},
		{name: "a join with a malformed session id is refused as INVALID_SESSION_ID", query: "action=joinSession&sessionId=lamb-101&targetLanguage=es", code: session.CodeInvalidSessionID, field: "sessionId", sessionID: "lamb-101"},
		{name: "a join without a target language is refused naming it", query: "action=joinSession&sessionId=" + seededID, code: session.CodeInvalidParameters, field: "targetLanguage"},
		{name: "a join to an unsupported target language is refused as UNSUPPORTED_LANGUAGE", query: "action=joinSession&sessionId=" + seededID + "&targetLanguage=xx", code: session.CodeUnsupportedLanguage, field: "targetLanguage", sessionID: seededID},
		{name: "a create in an unsupported source language is refused as INVALID_LANGUAGE", query: "action=createSession&sourceLanguage=tr&qualityTier=standard&token=" + aliceToken, code: session.CodeInvalidLanguage, field: "sourceLanguage"},
		{name: "a refresh with an unknown role is refused naming the role", query: "action=refreshConnection&role=admin&sessionId=" + seededID, code: session.CodeInvalidParameters, field: "role"},
		{name: "a listener refresh with a malformed resume token is refused naming it", setup: seed, query: listenerRefresh + "&resumeToken=not-a-token", code: session.CodeInvalidParameters, field: "resumeToken", sessionID: seededID},
		{name: "a listener refresh with a forged resume token is refused naming it", setup: seed, query: listenerRefresh + "&resumeToken=" + forgedToken("l0"), code: session.CodeInvalidParameters, field: "resumeToken", sessionID: seededID},

		{name: "a create without a token is UNAUTHORIZED", query: create, code: session.CodeUnauthorized, field: "token", message: "Missing token"},
		{name: "a create with an invalid token is UNAUTHORIZED", query: create + "garbage", code: session.CodeUnauthorized, message: "Invalid token"},
		{name: "a create with an expired token is UNAUTHORIZED saying so", query: create + expiredToken, code: session.CodeUnauthorized, message: "Token expired"},
		{name: "a create while the signing keys cannot be fetched is SERVICE_UNAVAILABLE", query: create + jwksDown, code: session.CodeServiceUnavailable},
		{name: "a speaker refresh with an invalid token is UNAUTHORIZED for that session", setup: seed, query: speakerRefresh + "garbage", code: session.CodeUnauthorized, message: "Invalid token", sessionID: seededID},
		{name: "a speaker refresh with an expired token is UNAUTHORIZED saying so", setup: seed, query: speakerRefresh + expiredToken, code: session.CodeUnauthorized, message: "Token expired", sessionID: seededID},
		{name: "a speaker refresh while the signing keys cannot be fetched is SERVICE_UNAVAILABLE", setup: seed, query: speakerRefresh + jwksDown, code: session.CodeServiceUnavailable, sessionID: seededID},
		{name: "a speaker refresh by another user is FORBIDDEN", setup: seed, query: speakerRefresh + bobToken, code: session.CodeForbidden, sessionID: seededID},

		{name: "a join to an unknown session is SESSION_NOT_FOUND", query: join, code: session.CodeSessionNotFound, sessionID: seededID},
		{name: "a join to an ended session is SESSION_NOT_FOUND", setup: func(f *fixture) {
			s := f.seed()
			s.Active = false
			f.mem.PutSession(s)
		}, query: join, code: session.CodeSessionNotFound, sessionID: seededID},
		{name: "a join to an expired session is SESSION_NOT_FOUND", setup: func(f *fixture) {
			f.seed()
			f.clock.advance(2 * time.Hour)
		}, query: join, code: session.CodeSessionNotFound, sessionID: seededID},
		{name: "a join to a full session is SESSION_FULL", setup: func(f *fixture) { f.seed("es", "fr") }, query: join, code: session.CodeSessionFull, sessionID: seededID},
		{name: "a token-less listener refresh to a full session it replaces nothing in is SESSION_FULL", setup: func(f *fixture) { f.seed("es", "es") }, query: listenerRefresh, code: session.CodeSessionFull, sessionID: seededID},
		{name: "a listener refresh to an unknown session is SESSION_NOT_FOUND", query: listenerRefresh, code: session.CodeSessionNotFound, sessionID: seededID},
		{name: "a speaker refresh of an unknown session is SESSION_NOT_FOUND", query: speakerRefresh + aliceToken, code: session.CodeSessionNotFound, sessionID: seededID},
		{name: "a speaker refresh of an expired session is SESSION_NOT_FOUND", setup: func(f *fixture) {
			f.seed()
			f.clock.advance(3 * time.Hour)
		}, query: speakerRefresh + aliceToken, code: session.CodeSessionNotFound, sessionID: seededID},

		{name: "a connection attempt over the per-address limit is RATE_LIMIT_EXCEEDED until the minute ends", setup: func(f *fixture) {
			f.seed()
			f.clock.advance(20 * time.Second)
			for i := range 3 {
				_, err := f.connect(fmt.Sprintf("try%d", i), ip, create+"garbage")
				require.Equal(f.t, session.CodeUnauthorized, codeOf(err), "each attempt counts, refused or not")
			}
		}, query: join, code: session.CodeRateLimitExceeded, sessionID: seededID, retryAfter: 40},
		{name: "a join over the per-address join limit is RATE_LIMIT_EXCEEDED", setup: func(f *fixture) {
			f.seed()
			f.join("j1", ip, seededID, "fr")
			f.join("j2", ip, seededID, "fr")
		}, query: join, code: session.CodeRateLimitExceeded, sessionID: seededID, retryAfter: 60},
		{name: "a second session within the hour for one speaker is RATE_LIMIT_EXCEEDED", setup: func(f *fixture) {
			f.create("first")
		}, query: create + aliceToken, code: session.CodeRateLimitExceeded, retryAfter: 3600},
		{name: "a database failure behind the limiter is SERVICE_UNAVAILABLE", setup: func(f *fixture) {
			f.seed()
			f.limiter.FailWith(fmt.Errorf("rate limit: %w", session.ErrUnavailable))
		}, query: join, code: session.CodeServiceUnavailable, sessionID: seededID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, refusalLimits)
			if tc.setup != nil {
				tc.setup(f)
			}
			before := f.mem.State()
			f.msgr.reset()

			w, err := f.connect("c-new", ip, tc.query)

			require.Error(t, err)
			assert.Equal(t, session.Welcome{}, w)
			var e *session.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, tc.field, e.Field)
			if tc.message != "" {
				assert.Equal(t, tc.message, e.Message)
			}
			assert.Equal(t, tc.sessionID, e.SessionID)
			assert.Equal(t, tc.retryAfter, e.RetryAfter)
			assert.Equal(t, before, f.mem.State(), "a refusal stores nothing")
			assert.Empty(t, f.msgr.all(), "a refusal sends nothing")
		})
	}
}

func TestConnectAdmits(t *testing.T) {
	t.Run("a verified speaker creates a session under a fresh id and owns its connection", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		w, err := f.connect("spk", "10.0.0.1", "action=createSession&sourceLanguage=de&qualityTier=premium&partialResults=false&minStability=0.7&token="+aliceToken)
		require.NoError(t, err)

		assert.Equal(t, session.WelcomeCreated, w.Kind)
		assert.Regexp(t, `^[a-z]+-[a-z]+-[1-9][0-9]{2}$`, w.SessionID)
		assert.Equal(t, session.RoleSpeaker, w.Role)
		assert.Equal(t, "de", w.SourceLanguage)
		assert.Equal(t, "premium", w.QualityTier)
		assert.Equal(t, start.Add(2*time.Hour), w.ExpiresAt)
		assert.Equal(t, session.StreamOptions{PartialResults: false, MinStability: 0.7, MaxBufferTimeout: 5}, w.Options)
		s := f.stored(w.SessionID)
		assert.True(t, s.Active)
		assert.Equal(t, "spk", s.SpeakerConnectionID)
		assert.Equal(t, aliceID, s.SpeakerUserID)
		assert.Equal(t, session.BroadcastState{Volume: 1}, s.Broadcast)
		spk := f.record("spk")
		assert.Equal(t, session.Connection{ID: "spk", SessionID: w.SessionID, Role: session.RoleSpeaker, UserID: aliceID,
			ConnectedAt: start, LastSeenAt: start, SourceIPHash: session.HashID("10.0.0.1")}, spk)
	})

	t.Run("a listener joins a live session, is counted and gets a resume token", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("es")
		w := f.join("lis", "10.0.2.1", seededID, "fr")

		assert.Equal(t, session.WelcomeJoined, w.Kind)
		assert.Equal(t, session.RoleListener, w.Role)
		assert.Equal(t, "fr", w.TargetLanguage)
		assert.Equal(t, "en", w.SourceLanguage)
		assert.NotEmpty(t, w.ResumeToken)
		require.NotNil(t, w.Audience)
		assert.Equal(t, session.Audience{SpeakerConnectionID: "spk", Total: 2, ByLanguage: map[string]int{"es": 1, "fr": 1}, StateVersion: 1}, *w.Audience, "the seed's version 0, then the admission")
		s := f.stored(seededID)
		assert.Equal(t, 2, s.ListenerCount)
		assert.Equal(t, map[string]int{"es": 1, "fr": 1}, s.ByLanguage)
		rec := f.record("lis")
		assert.Equal(t, "fr", rec.TargetLanguage)
		assert.NotEmpty(t, rec.ResumeHash, "the seat can be taken back")
		assert.NotContains(t, w.ResumeToken, rec.ResumeHash, "only the secret's hash is stored")
	})

	t.Run("a join to a session whose speaker is away does not name a speaker to notify", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		s := f.seed()
		s.ReconnectDeadline = start.Add(time.Minute)
		f.mem.PutSession(s)
		w := f.join("lis", "10.0.2.1", seededID, "fr")
		require.NotNil(t, w.Audience)
		assert.Empty(t, w.Audience.SpeakerConnectionID)
	})

	t.Run("limits are skipped while the rate-limit table is unavailable", func(t *testing.T) {
		f := newFixture(t, session.Config{ListenerJoinsPerMinute: 1})
		f.seed()
		f.limiter.FailWith(fmt.Errorf("rate limit: %w", session.ErrLimitsUnavailable))
		f.join("a", "10.0.2.1", seededID, "fr")
		f.join("b", "10.0.2.1", seededID, "fr")
		f.limiter.FailWith(nil)
		f.join("c", "10.0.2.1", seededID, "fr")
		_, err := f.connect("d", "10.0.2.1", "action=joinSession&sessionId="+seededID+"&targetLanguage=fr")
		assert.Equal(t, session.CodeRateLimitExceeded, codeOf(err), "enforced again once the table is back")
	})
}

func TestCreateRetriesTakenSessionIDs(t *testing.T) {
	cases := []struct {
		name  string
		taken int
		code  session.Code
	}{
		{name: "an id taken once is replaced by another", taken: 1},
		{name: "the last allowed attempt may still succeed", taken: 3},
		{name: "every attempt taken is SERVICE_UNAVAILABLE after MaxSessionIDAttempts", taken: 4, code: session.CodeServiceUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{MaxSessionIDAttempts: 4})
			for range tc.taken {
				f.mem.FailNext("Sessions.Create", session.ErrSessionIDTaken)
			}
			w, err := f.connect("spk", "10.0.0.1", "action=createSession&sourceLanguage=en&qualityTier=standard&token="+aliceToken)
			assert.Equal(t, tc.code, codeOf(err))
			assert.Equal(t, min(tc.taken+1, 4), f.mem.CallCount("Sessions.Create"))
			if tc.code == "" {
				assert.True(t, f.stored(w.SessionID).Active)
			} else {
				assert.Empty(t, f.mem.State().Sessions)
			}
		})
	}

	t.Run("an id of a live session is never reused, one of an ended session may be", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		s := f.seed()
		other := session.Session{ID: s.ID, SpeakerConnectionID: "x", CreatedAt: start, ExpiresAt: start.Add(time.Hour), Active: true}
		assert.ErrorIs(t, f.mem.Sessions().Create(f.ctx(), other, session.Connection{ID: "x"}), session.ErrSessionIDTaken)
		s.Active = false
		f.mem.PutSession(s)
		assert.NoError(t, f.mem.Sessions().Create(f.ctx(), other, session.Connection{ID: "x"}))
	})

	t.Run("a storage failure on create is reported with its cause", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.mem.FailNext("Sessions.Create", fmt.Errorf("put: %w", session.ErrUnavailable))
		_, err := f.connect("spk", "10.0.0.1", "action=createSession&sourceLanguage=en&qualityTier=standard&token="+aliceToken)
		assert.Equal(t, session.CodeServiceUnavailable, codeOf(err))
		f.mem.FailNext("Sessions.Create", errBoom)
		_, err = f.connect("spk", "10.0.0.1", "action=createSession&sourceLanguage=en&qualityTier=standard&token="+aliceToken)
		assert.Equal(t, session.CodeInternal, codeOf(err))
		assert.ErrorIs(t, err, errBoom)
	})
}

func TestRepeatedConnectChangesNothing(t *testing.T) {
	const ip = "10.0.3.3"
	cases := []struct {
		name  string
		setup func(f *fixture) (connectionID, query string)
	}{
		{name: "a repeated create opens no second session", setup: func(*fixture) (string, string) {
			return "spk", "action=createSession&sourceLanguage=en&qualityTier=standard&token=" + aliceToken
		}},
		{name: "a repeated join is counted once", setup: func(f *fixture) (string, string) {
			f.seed("es")
			return "lis", "action=joinSession&sessionId=" + seededID + "&targetLanguage=fr"
		}},
		{name: "a repeated token-less listener refresh is counted once", setup: func(f *fixture) (string, string) {
			f.seed("es")
			return "lis", "action=refreshConnection&role=listener&sessionId=" + seededID + "&targetLanguage=fr"
		}},
		{name: "a repeated resume takes the seat once", setup: func(f *fixture) (string, string) {
			f.seed()
			w := f.join("old", ip, seededID, "fr")
			return "new", "action=refreshConnection&role=listener&sessionId=" + seededID + "&targetLanguage=fr&resumeToken=" + w.ResumeToken
		}},
		{name: "a repeated token-less refresh that replaced a connection at capacity replaces nothing more", setup: func(f *fixture) (string, string) {
			f.seed("fr", "fr", "fr")
			for _, id := range []string{"l0", "l1", "l2"} {
				c := f.record(id)
				c.SourceIPHash = session.HashID(ip)
				f.mem.PutConnection(c)
			}
			f.clock.advance(101 * time.Minute)
			return "new", "action=refreshConnection&role=listener&sessionId=" + seededID + "&targetLanguage=fr"
		}},
		{name: "a repeated speaker refresh takes over once", setup: func(f *fixture) (string, string) {
			f.seed()
			return "spk2", "action=refreshConnection&role=speaker&sessionId=" + seededID + "&token=" + aliceToken
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{MaxListenersPerSession: 3, ConnectionAttemptsPerMin: 2, ListenerJoinsPerMinute: 1, SessionsPerHour: 1})
			id, query := tc.setup(f)
			first, err := f.connect(id, ip, query)
			require.NoError(t, err)
			require.False(t, first.Replayed)
			after := f.mem.State()

			again, err := f.connect(id, ip, query)

			require.NoError(t, err, "the repeat is not counted against the limits either")
			assert.Equal(t, session.Welcome{ConnectionID: id, Replayed: true}, again)
			assert.Equal(t, after.WithoutStateVersions(), f.mem.State().WithoutStateVersions())
			for id, s := range after.Sessions {
				assert.GreaterOrEqual(t, f.stored(id).StateVersion, s.StateVersion, "the version never goes back")
			}
		})
	}
}

func TestRepeatedJoinOfTheLastSeatIsAReplay(t *testing.T) {
	f := newFixture(t, session.Config{MaxListenersPerSession: 1})
	f.seed()
	query := "action=joinSession&sessionId=" + seededID + "&targetLanguage=fr"
	_, err := f.connect("lis", "10.0.2.1", query)
	require.NoError(t, err)
	again, err := f.connect("lis", "10.0.2.1", query)
	require.NoError(t, err)
	assert.True(t, again.Replayed)
}

func TestCapacity(t *testing.T) {
	t.Run("the count is taken before the record is written", func(t *testing.T) {
		f := newFixture(t, session.Config{MaxListenersPerSession: 1})
		f.seed("es")
		_, err := f.connect("lis", "10.0.2.1", "action=joinSession&sessionId="+seededID+"&targetLanguage=fr")
		assert.Equal(t, session.CodeSessionFull, codeOf(err))
		assert.Zero(t, f.mem.CallCount("Connections.Register"), "a refused count writes no record")
	})

	t.Run("a record that cannot be written gives its count back", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("es")
		f.mem.FailNext("Connections.Register", errBoom)
		_, err := f.connect("lis", "10.0.2.1", "action=joinSession&sessionId="+seededID+"&targetLanguage=fr")
		assert.ErrorIs(t, err, errBoom)
		s := f.stored(seededID)
		assert.Equal(t, 1, s.ListenerCount)
		assert.Equal(t, 0, s.ByLanguage["fr"])
		_, registered := f.mem.Connection("lis")
		assert.False(t, registered)
	})

	t.Run("a count that cannot be given back is left for the sweep to reconcile", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("es")
		f.mem.FailNext("Connections.Register", errBoom)
		f.mem.FailNext("Sessions.Unadmit", errBoom)
		_, err := f.connect("lis", "10.0.2.1", "action=joinSession&sessionId="+seededID+"&targetLanguage=fr")
		require.ErrorIs(t, err, errBoom)
		require.Equal(t, 2, f.stored(seededID).ListenerCount)

		rep, err := f.svc.Sweep(f.ctx())
		require.NoError(t, err)
		assert.Equal(t, 1, rep.Reconciled)
		assert.Equal(t, 1, f.stored(seededID).ListenerCount)
	})

	t.Run("concurrent joins never pass capacity", func(t *testing.T) {
		f := newFixture(t, session.Config{MaxListenersPerSession: 10, ListenerJoinsPerMinute: 100, ConnectionAttemptsPerMin: 100})
		f.seed()
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[session.Code]int{}
		for i := range 40 {
			wg.Go(func() {
				_, err := f.connect(fmt.Sprintf("c%02d", i), fmt.Sprintf("10.1.0.%d", i), "action=joinSession&sessionId="+seededID+"&targetLanguage=fr")
				mu.Lock()
				codes[codeOf(err)]++
				mu.Unlock()
			})
		}
		wg.Wait()
		assert.Equal(t, map[session.Code]int{"": 10, session.CodeSessionFull: 30}, codes)
		assert.Equal(t, 10, f.stored(seededID).ListenerCount)
		assert.Len(t, f.mem.ConnectionIDs(), 11, "ten listeners and the speaker")
	})
}
