package session_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func TestControl(t *testing.T) {
	half, tooLoud, nan := 0.5, 1.5, math.NaN()
	playing := session.BroadcastState{Volume: 1}
	paused := session.BroadcastState{Paused: true, Volume: 1}
	cases := []struct {
		name      string
		from      session.BroadcastState
		control   string
		value     *float64
		state     session.BroadcastState // mirrored to everyone
		pauseNote *session.PausedChanged // also sent to listeners
	}{
		{name: "a pause is mirrored to everyone and listeners hear sessionPaused", from: playing, control: session.ControlPause, state: paused,
			pauseNote: &session.PausedChanged{SessionID: seededID, Paused: true}},
		{name: "a resume is mirrored to everyone and listeners hear sessionResumed", from: paused, control: session.ControlResume, state: playing,
			pauseNote: &session.PausedChanged{SessionID: seededID, Paused: false}},
		{name: "a pause of a paused broadcast is mirrored without a second sessionPaused", from: paused, control: session.ControlPause, state: paused},
		{name: "a mute is mirrored to everyone", from: playing, control: session.ControlMute, state: session.BroadcastState{Muted: true, Volume: 1}},
		{name: "an unmute is mirrored to everyone", from: session.BroadcastState{Muted: true, Volume: 1}, control: session.ControlUnmute, state: playing},
		{name: "a volume change is mirrored to everyone", from: playing, control: session.ControlVolume, value: &half, state: session.BroadcastState{Volume: 0.5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{})
			s := f.seed("fr", "es")
			s.Broadcast = tc.from
			f.mem.PutSession(s)
			hold(f, "l1", start.Add(time.Minute))

			require.NoError(t, f.svc.Control(f.ctx(), "spk", tc.control, tc.value))

			mirrored := session.BroadcastChanged{SessionID: seededID, State: tc.state}
			toListener := []session.Message{mirrored}
			if tc.pauseNote != nil {
				toListener = append(toListener, *tc.pauseNote)
			}
			assert.Equal(t, toListener, f.msgr.to("l0"))
			assert.Empty(t, f.msgr.to("l1"), "a held seat is not told")
			assert.Equal(t, []session.Message{mirrored}, f.msgr.to("spk"))
			assert.Equal(t, tc.state, f.stored(seededID).Broadcast)
		})
	}

	refusals := []struct {
		name         string
		connectionID string
		control      string
		value        *float64
		code         session.Code
		field        string
	}{
		{name: "a control without a command is refused naming it", connectionID: "spk", code: session.CodeInvalidParameters, field: "control"},
		{name: "an unknown command is refused naming it", connectionID: "spk", control: "louder", code: session.CodeInvalidParameters, field: "control"},
		{name: "a volume without a value is refused naming it", connectionID: "spk", control: session.ControlVolume, code: session.CodeInvalidParameters, field: "value"},
		{name: "a volume above 1 is refused naming it", connectionID: "spk", control: session.ControlVolume, value: &tooLoud, code: session.CodeInvalidParameters, field: "value"},
		{name: "a volume that is not a number is refused naming it", connectionID: "spk", control: session.ControlVolume, value: &nan, code: session.CodeInvalidParameters, field: "value"},
		{name: "a listener's control is FORBIDDEN", connectionID: "l0", control: session.ControlPause, code: session.CodeForbidden},
		{name: "a control by a connection the speaker replaced is FORBIDDEN", connectionID: "old-spk", control: session.ControlPause, code: session.CodeForbidden},
		{name: "a control by an unknown connection is SESSION_NOT_FOUND", connectionID: "nobody", control: session.ControlPause, code: session.CodeSessionNotFound},
	}
	for _, tc := range refusals {
		t.Run(tc.name+" and changes nothing", func(t *testing.T) {
			f := newFixture(t, session.Config{})
			f.seed("fr")
			f.mem.PutConnection(session.Connection{ID: "old-spk", SessionID: seededID, Role: session.RoleSpeaker, UserID: aliceID})
			before := f.mem.State()

			err := f.svc.Control(f.ctx(), tc.connectionID, tc.control, tc.value)

			var e *session.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, tc.field, e.Field)
			assert.Equal(t, before, f.mem.State())
			assert.Empty(t, f.msgr.all())
		})
	}

	t.Run("a control of an ended session is SESSION_NOT_FOUND", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		s := f.seed()
		s.Active = false
		f.mem.PutSession(s)
		assert.Equal(t, session.CodeSessionNotFound, codeOf(f.svc.Control(f.ctx(), "spk", session.ControlMute, nil)))
	})

	t.Run("listeners that cannot be listed are reported after the change", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		f.mem.FailNext("Connections.Audience", errBoom)
		assert.ErrorIs(t, f.svc.Control(f.ctx(), "spk", session.ControlMute, nil), errBoom)
		assert.True(t, f.stored(seededID).Broadcast.Muted)
	})

	t.Run("a listener found gone while mirroring keeps its seat", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		f.msgr.setGone("l0")
		require.NoError(t, f.svc.Control(f.ctx(), "spk", session.ControlPause, nil))
		assert.True(t, f.record("l0").Held())
	})
}

func TestChangeLanguage(t *testing.T) {
	t.Run("a listener switches language and the speaker's counts follow", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr", "es")

		require.NoError(t, f.svc.ChangeLanguage(f.ctx(), "l0", "de"))

		assert.Equal(t, "de", f.record("l0").TargetLanguage)
		s := f.stored(seededID)
		assert.Equal(t, 2, s.ListenerCount)
		assert.Equal(t, map[string]int{"fr": 0, "es": 1, "de": 1}, s.ByLanguage)
		assert.Equal(t, []session.Message{session.LanguageChanged{SessionID: seededID, TargetLanguage: "de"}}, f.msgr.to("l0"))
		assert.Equal(t, []session.Message{session.ListenerCount{SessionID: seededID, Total: 2, ByLanguage: map[string]int{"es": 1, "de": 1}}}, f.msgr.to("spk"))
	})

	t.Run("a switch to the language already listened to is confirmed and moves nothing", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		before := f.mem.State()
		require.NoError(t, f.svc.ChangeLanguage(f.ctx(), "l0", "fr"))
		assert.Equal(t, before, f.mem.State())
		assert.Equal(t, []delivery{{to: "l0", msg: session.LanguageChanged{SessionID: seededID, TargetLanguage: "fr"}}}, f.msgr.all())
	})

	t.Run("a switch another delivery already made is confirmed and moves nothing more", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		f.mem.FailNext("Connections.SwitchLanguage", session.ErrReplayed)
		before := f.mem.State()
		require.NoError(t, f.svc.ChangeLanguage(f.ctx(), "l0", "de"))
		assert.Equal(t, before, f.mem.State())
		assert.Equal(t, []session.Message{session.LanguageChanged{SessionID: seededID, TargetLanguage: "de"}}, f.msgr.to("l0"))
	})

	t.Run("a switch the store finds already made is a replay", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		stale := f.record("l0")
		require.NoError(t, f.mem.Connections().SwitchLanguage(f.ctx(), stale, "de"))
		assert.ErrorIs(t, f.mem.Connections().SwitchLanguage(f.ctx(), stale, "de"), session.ErrReplayed)
		assert.Equal(t, map[string]int{"fr": 0, "de": 1}, f.stored(seededID).ByLanguage, "counted once")
	})

	refusals := []struct {
		name         string
		connectionID string
		lang         string
		ended        bool
		code         session.Code
		field        string
	}{
		{name: "a switch without a language is refused naming it", connectionID: "l0", code: session.CodeInvalidParameters, field: "targetLanguage"},
		{name: "a switch to an unsupported language is UNSUPPORTED_LANGUAGE", connectionID: "l0", lang: "xx", code: session.CodeUnsupportedLanguage, field: "targetLanguage"},
		{name: "a speaker's switch is FORBIDDEN", connectionID: "spk", lang: "de", code: session.CodeForbidden},
		{name: "a switch by an unknown connection is SESSION_NOT_FOUND", connectionID: "nobody", lang: "de", code: session.CodeSessionNotFound},
		{name: "a switch in an ended session is SESSION_NOT_FOUND", connectionID: "l0", lang: "de", ended: true, code: session.CodeSessionNotFound},
	}
	for _, tc := range refusals {
		t.Run(tc.name+" and changes nothing", func(t *testing.T) {
			f := newFixture(t, session.Config{})
			s := f.seed("fr")
			if tc.ended {
				s.Active, s.ListenerCount, s.ByLanguage = false, 0, map[string]int{}
				f.mem.PutSession(s)
			}
			before := f.mem.State()

			err := f.svc.ChangeLanguage(f.ctx(), tc.connectionID, tc.lang)

			var e *session.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, tc.field, e.Field)
			assert.Equal(t, before, f.mem.State())
			assert.Empty(t, f.msgr.all())
		})
	}
}

func TestStatus(t *testing.T) {
	cases := []struct {
		name    string
		arrange func(s *session.Session)
		want    session.Status
	}{
		{name: "a live session reports its audience and controls", want: session.Status{SessionID: seededID, Active: true, ListenerCount: 2,
			ByLanguage: map[string]int{"fr": 1, "es": 1}, ExpiresAt: start.Add(2 * time.Hour), Broadcast: session.BroadcastState{Volume: 1}, SpeakerConnected: true}},
		{name: "a session waiting for its speaker reports it paused and the speaker away", arrange: func(s *session.Session) {
			s.ReconnectDeadline, s.GapPaused = start.Add(time.Minute), true
		}, want: session.Status{SessionID: seededID, Active: true, ListenerCount: 2,
			ByLanguage: map[string]int{"fr": 1, "es": 1}, ExpiresAt: start.Add(2 * time.Hour), Broadcast: session.BroadcastState{Paused: true, Volume: 1}}},
		{name: "an expired session reports itself inactive", arrange: func(s *session.Session) {
			s.ExpiresAt = start
		}, want: session.Status{SessionID: seededID, ListenerCount: 2, ByLanguage: map[string]int{"fr": 1, "es": 1}, ExpiresAt: start,
			Broadcast: session.BroadcastState{Volume: 1}, SpeakerConnected: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{})
			s := f.seed("fr", "es")
			if tc.arrange != nil {
				tc.arrange(&s)
				f.mem.PutSession(s)
			}
			require.NoError(t, f.svc.Status(f.ctx(), "l0"))
			assert.Equal(t, []session.Message{tc.want}, f.msgr.to("l0"))
		})
	}

	t.Run("the status of an unknown connection is SESSION_NOT_FOUND", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		assert.Equal(t, session.CodeSessionNotFound, codeOf(f.svc.Status(f.ctx(), "nobody")))
	})

	t.Run("the status of a connection whose session is gone is SESSION_NOT_FOUND", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.mem.PutConnection(session.Connection{ID: "stray", SessionID: otherID, Role: session.RoleListener})
		assert.Equal(t, session.CodeSessionNotFound, codeOf(f.svc.Status(f.ctx(), "stray")))
	})
}

func TestAuthorize(t *testing.T) {
	cases := []struct {
		name     string
		listener bool
		token    string
		allowed  bool
		user     string
		code     session.Code
	}{
		{name: "a speaker with a valid token is allowed as its user", token: aliceToken, allowed: true, user: aliceID},
		{name: "a speaker without a token is refused"},
		{name: "a speaker refresh without a token is refused"},
		{name: "an anonymous listener is allowed", listener: true, allowed: true},
		{name: "an anonymous listener refresh is allowed", listener: true, allowed: true},
		{name: "a listener with an invalid token is refused", listener: true, token: "garbage"},
		{name: "a speaker with an expired token is refused", token: expiredToken},
		{name: "a speaker while the signing keys cannot be fetched is SERVICE_UNAVAILABLE", token: jwksDown, code: session.CodeServiceUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{})
			id, allowed, err := f.svc.Authorize(f.ctx(), tc.listener, tc.token)
			assert.Equal(t, tc.code, codeOf(err))
			assert.Equal(t, tc.allowed, allowed)
			assert.Equal(t, tc.user, id.UserID)
		})
	}
}

// A listener that refreshed after the control read the audience has a new
// connection the read did not see; its old one answers gone. The change
// reaches the new one all the same.
func TestAControlReachesTheSuccessorOfAConnectionReplacedMeanwhile(t *testing.T) {
	f := newFixture(t, session.Config{})
	f.seed("fr")
	successor := f.record("l0")
	successor.ID = "l0b"
	f.msgr.setGone("l0")
	f.msgr.onGone = func() { f.mem.PutConnection(successor) }

	require.NoError(t, f.svc.Control(f.ctx(), "spk", session.ControlPause, nil))

	assert.Equal(t, []session.Message{
		session.BroadcastChanged{SessionID: seededID, State: session.BroadcastState{Paused: true, Volume: 1}},
		session.PausedChanged{SessionID: seededID, Paused: true},
	}, f.msgr.to("l0b"))
}
