package session_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func TestEndByRequest(t *testing.T) {
	t.Run("the speaker's endSession ends the session for everyone and closes the speaker last", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr", "es", "es")
		_, err := memConnections{f.mem}.Hold(f.ctx(), "l2", start.Add(time.Minute))
		require.NoError(t, err)

		require.NoError(t, f.svc.EndByRequest(f.ctx(), "spk"))

		ended := session.SessionEnded{SessionID: seededID, Reason: session.ReasonSpeakerEnded}
		for _, id := range []string{"l0", "l1", "spk"} {
			assert.Equal(t, []session.Message{ended}, f.msgr.to(id), id)
		}
		assert.Empty(t, f.msgr.to("l2"), "a held seat has no connection to tell")
		closed := f.msgr.closed()
		assert.ElementsMatch(t, []string{"l0", "l1", "spk"}, closed)
		assert.Equal(t, "spk", closed[len(closed)-1], "the speaker is closed after its listeners")
		s := f.stored(seededID)
		assert.False(t, s.Active)
		assert.Equal(t, session.ReasonSpeakerEnded, s.EndedReason)
		assert.Zero(t, s.ListenerCount)
		assert.Empty(t, s.PendingClose)
		assert.Equal(t, []string{"spk"}, f.mem.connectionIDs(), "listener records are gone; the speaker's goes with its $disconnect")
	})

	t.Run("a speaker gone before it hears the end still ends the session", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		f.msgr.setGone("spk")
		require.NoError(t, f.svc.EndByRequest(f.ctx(), "spk"))
		assert.False(t, f.stored(seededID).Active)
	})

	refusals := []struct {
		name         string
		connectionID string
		code         session.Code
	}{
		{name: "a listener's endSession is FORBIDDEN", connectionID: "l0", code: session.CodeForbidden},
		{name: "an unknown connection's endSession is SESSION_NOT_FOUND", connectionID: "nobody", code: session.CodeSessionNotFound},
	}
	for _, tc := range refusals {
		t.Run(tc.name+" and changes nothing", func(t *testing.T) {
			f := newFixture(t, session.Config{})
			f.seed("fr")
			before := f.mem.state()
			assert.Equal(t, tc.code, codeOf(f.svc.EndByRequest(f.ctx(), tc.connectionID)))
			assert.Equal(t, before, f.mem.state())
			assert.Empty(t, f.msgr.all())
		})
	}

	t.Run("a failure to end is reported and the speaker is not told", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		f.mem.failNext("Sessions.End", errBoom)
		assert.ErrorIs(t, f.svc.EndByRequest(f.ctx(), "spk"), errBoom)
		assert.Empty(t, f.msgr.all())
	})

	t.Run("a failure to tell the speaker is reported", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed()
		f.msgr.setSendFault(errBoom)
		assert.ErrorIs(t, f.svc.EndByRequest(f.ctx(), "spk"), errBoom)
		assert.False(t, f.stored(seededID).Active)
	})
}

func TestEndSession(t *testing.T) {
	t.Run("an end by a connection the speaker already replaced changes nothing", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		s := f.seed("fr")
		s.SpeakerConnectionID = "spk2"
		f.mem.putSession(s)
		before := f.mem.state()
		require.NoError(t, f.svc.EndSession(f.ctx(), seededID, "spk", session.ReasonSpeakerDisconnected))
		assert.Equal(t, before, f.mem.state())
		assert.Empty(t, f.msgr.all())
	})

	t.Run("an end of a session already over changes nothing", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		require.NoError(t, f.svc.EndSession(f.ctx(), seededID, "spk", session.ReasonSpeakerEnded))
		assert.Empty(t, f.mem.state().Sessions)
	})

	t.Run("listeners that cannot be listed leave the session running", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		f.mem.failNext("Connections.Listeners", errBoom)
		assert.ErrorIs(t, f.svc.EndSession(f.ctx(), seededID, "spk", session.ReasonSpeakerEnded), errBoom)
		assert.True(t, f.stored(seededID).Active)
	})

	// An ending that dies midway keeps the listeners still to close on the
	// session, and the next sweep finishes it.
	for _, method := range []string{"Connections.DeleteMany", "Sessions.FinishEnd"} {
		t.Run("an ending whose "+method+" fails is finished by the next sweep", func(t *testing.T) {
			f := newFixture(t, session.Config{})
			f.seed("fr", "es")
			f.mem.failNext(method, errBoom)

			require.ErrorIs(t, f.svc.EndSession(f.ctx(), seededID, "spk", session.ReasonSpeakerEnded), errBoom)
			require.ElementsMatch(t, []string{"l0", "l1"}, f.stored(seededID).PendingClose)
			f.msgr.reset()

			rep, err := f.svc.Sweep(f.ctx())

			require.NoError(t, err)
			assert.Zero(t, rep.Failures)
			assert.Empty(t, f.stored(seededID).PendingClose)
			ended := []session.Message{session.SessionEnded{SessionID: seededID, Reason: session.ReasonSpeakerEnded}}
			assert.Equal(t, ended, f.msgr.to("l0"))
			assert.Equal(t, ended, f.msgr.to("l1"))
			assert.Equal(t, []string{"spk"}, f.mem.connectionIDs())
			assert.Empty(t, f.mem.state().Sessions[seededID].PendingClose)

			f.msgr.reset()
			rep, err = f.svc.Sweep(f.ctx())
			require.NoError(t, err)
			assert.Equal(t, session.SweepReport{}, rep, "a finished ending is out of the sweep's sight")
			assert.Empty(t, f.msgr.all())
		})
	}
}
