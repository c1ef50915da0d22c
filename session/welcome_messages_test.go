package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func TestWelcomeMessages(t *testing.T) {
	const heartbeat = 30 * time.Second
	cases := []struct {
		name string
		// admit connects and returns the welcome to send.
		admit        func(f *fixture) session.Welcome
		welcomed     string
		want         func(w session.Welcome) session.Message
		speakerHears *session.ListenerCount // sent to the speaker's connection "spk" or "spk2"
		speakerID    string
	}{
		{
			name: "a created session's speaker gets sessionCreated with its settings",
			admit: func(f *fixture) session.Welcome {
				w, err := f.connect("spk", "10.0.0.1", "action=createSession&sourceLanguage=en&qualityTier=premium&maxBufferTimeout=3&token="+aliceToken)
				require.NoError(f.t, err)
				return w
			},
			welcomed: "spk",
			want: func(w session.Welcome) session.Message {
				return session.SessionCreated{SessionID: w.SessionID, SourceLanguage: "en", QualityTier: "premium", ConnectionID: "spk",
					ExpiresAt: start.Add(2 * time.Hour), Options: session.StreamOptions{PartialResults: true, MinStability: 0.85, MaxBufferTimeout: 3}, Heartbeat: heartbeat}
			},
		},
		{
			name: "a joined listener gets sessionJoined with the count and its resume token, and the speaker hears the audience",
			admit: func(f *fixture) session.Welcome {
				f.seed("es")
				return f.join("lis", "10.0.2.1", seededID, "fr")
			},
			welcomed: "lis",
			want: func(w session.Welcome) session.Message {
				return session.SessionJoined{SessionID: seededID, TargetLanguage: "fr", SourceLanguage: "en", ConnectionID: "lis", ListenerCount: 2,
					ResumeToken: w.ResumeToken, Heartbeat: heartbeat}
			},
			speakerID:    "spk",
			speakerHears: &session.ListenerCount{SessionID: seededID, Total: 2, ByLanguage: map[string]int{"es": 1, "fr": 1}, StateVersion: 1},
		},
		{
			name: "a resumed listener gets connectionRefreshComplete with a fresh token and the speaker hears nothing",
			admit: func(f *fixture) session.Welcome {
				f.seed()
				joined := f.join("old", "10.0.2.1", seededID, "fr")
				w, err := f.connect("lis", "10.0.2.1", listenerRefreshQuery(seededID, "fr", joined.ResumeToken))
				require.NoError(f.t, err)
				return w
			},
			welcomed: "lis",
			want: func(w session.Welcome) session.Message {
				return session.RefreshComplete{SessionID: seededID, Role: session.RoleListener, TargetLanguage: "fr", ResumeToken: w.ResumeToken, Heartbeat: heartbeat}
			},
		},
		{
			name: "a refreshed speaker gets connectionRefreshComplete and starts knowing its audience",
			admit: func(f *fixture) session.Welcome {
				f.seed("es", "es")
				w, err := f.connect("spk2", "10.0.0.1", speakerRefreshQuery(seededID, aliceToken))
				require.NoError(f.t, err)
				return w
			},
			welcomed: "spk2",
			want: func(session.Welcome) session.Message {
				return session.RefreshComplete{SessionID: seededID, Role: session.RoleSpeaker, Heartbeat: heartbeat}
			},
			speakerID:    "spk2",
			speakerHears: &session.ListenerCount{SessionID: seededID, Total: 2, ByLanguage: map[string]int{"es": 2}, StateVersion: 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{})
			w := tc.admit(f)
			f.msgr.reset()

			require.NoError(t, f.svc.Welcome(f.ctx(), w))

			want := []delivery{{to: tc.welcomed, msg: tc.want(w)}}
			if tc.speakerHears != nil {
				want = append(want, delivery{to: tc.speakerID, msg: *tc.speakerHears})
			}
			assert.Equal(t, want, f.msgr.all(), "the welcome first, then the speaker's count")
		})
	}
}

func TestWelcomeOfAReturningSpeaker(t *testing.T) {
	cases := []struct {
		name      string
		paused    bool
		listeners []session.Message
	}{
		{name: "listeners hear the speaker is back and the broadcast resumes", listeners: []session.Message{
			session.SpeakerReconnected{SessionID: seededID},
			session.BroadcastChanged{SessionID: seededID, State: session.BroadcastState{Volume: 1}},
			session.PausedChanged{SessionID: seededID, Paused: false},
		}},
		{name: "listeners of a broadcast the speaker paused itself only hear it is back", paused: true, listeners: []session.Message{
			session.SpeakerReconnected{SessionID: seededID},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{})
			s := f.seed("es", "fr")
			s.Broadcast.Paused = tc.paused
			f.mem.PutSession(s)
			_, err := f.mem.Connections().Hold(f.ctx(), "l1", start.Add(time.Minute))
			require.NoError(t, err)
			require.NoError(t, f.svc.Disconnect(f.ctx(), "spk", 1006))
			w, err := f.connect("spk2", "10.0.0.1", speakerRefreshQuery(seededID, aliceToken))
			require.NoError(t, err)
			f.msgr.reset()

			require.NoError(t, f.svc.Welcome(f.ctx(), w))

			assert.Equal(t, tc.listeners, f.msgr.to("l0"))
			assert.Empty(t, f.msgr.to("l1"), "a held seat has no connection to tell")
			assert.Equal(t, []session.Message{
				session.RefreshComplete{SessionID: seededID, Role: session.RoleSpeaker, Heartbeat: 30 * time.Second},
				session.ListenerCount{SessionID: seededID, Total: 2, ByLanguage: map[string]int{"es": 1, "fr": 1}},
			}, f.msgr.to("spk2"))
		})
	}

	t.Run("a return that cannot list the listeners is still welcomed", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("es")
		require.NoError(t, f.svc.Disconnect(f.ctx(), "spk", 1006))
		w, err := f.connect("spk2", "10.0.0.1", speakerRefreshQuery(seededID, aliceToken))
		require.NoError(t, err)
		f.msgr.reset()
		f.mem.FailNext("Connections.Audience", errBoom)
		require.NoError(t, f.svc.Welcome(f.ctx(), w))
		assert.Empty(t, f.msgr.to("l0"))
	})
}

func TestWelcomeDelivery(t *testing.T) {
	created := session.Welcome{Kind: session.WelcomeCreated, ConnectionID: "spk", SessionID: seededID, Role: session.RoleSpeaker}

	t.Run("a welcome is retried while the new connection is not open yet", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.msgr.goneFor("spk", 2)
		require.NoError(t, f.svc.Welcome(f.ctx(), created))
		assert.Len(t, f.msgr.to("spk"), 1)
	})

	t.Run("a welcome to a connection that never opens gives up after WelcomeRetryFor", func(t *testing.T) {
		f := newFixture(t, session.Config{WelcomeRetryFor: 3 * time.Second})
		f.msgr.setGone("spk")
		gone := 0
		f.msgr.onGone = func() { gone++; f.clock.advance(time.Second) }
		err := f.svc.Welcome(f.ctx(), created)
		assert.ErrorIs(t, err, session.ErrConnectionGone)
		assert.Equal(t, 3, gone, "tried until the clock passed the retry window")
	})

	t.Run("a welcome stops retrying when its context ends", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.msgr.setGone("spk")
		ctx, cancel := context.WithCancel(f.ctx())
		f.msgr.onGone = cancel
		err := f.svc.Welcome(ctx, created)
		assert.ErrorIs(t, err, context.Canceled)
	})

	t.Run("a failure other than a gone connection is not retried", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.msgr.setSendFault(errBoom)
		assert.ErrorIs(t, f.svc.Welcome(f.ctx(), created), errBoom)
	})

	t.Run("a speaker gone while its count is sent does not fail the listener's welcome", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed()
		w := f.join("lis", "10.0.2.1", seededID, "fr")
		f.msgr.setGone("spk")
		assert.NoError(t, f.svc.Welcome(f.ctx(), w))
	})

	t.Run("a join welcome without its audience is an internal error", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		err := f.svc.Welcome(f.ctx(), session.Welcome{Kind: session.WelcomeJoined, ConnectionID: "lis", SessionID: seededID})
		assert.Equal(t, session.CodeInternal, codeOf(err))
		assert.Empty(t, f.msgr.all())
	})

	t.Run("an unknown welcome kind is an internal error", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		err := f.svc.Welcome(f.ctx(), session.Welcome{Kind: "greeted", ConnectionID: "lis"})
		assert.Equal(t, session.CodeInternal, codeOf(err))
		assert.Empty(t, f.msgr.all())
	})
}
