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
		_, err := f.mem.Connections().Hold(f.ctx(), "l2", start.Add(time.Minute))
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
		assert.Equal(t, []string{"l0", "l1", "spk"}, f.mem.ConnectionIDs(), "the held seat is gone; the speaker's record goes with its $disconnect")
		assert.Equal(t, []string{"l0", "l1"}, f.mem.ClosingIDs(), "open listeners' records are closing marks")
	})

	t.Run("the $disconnect of a listener the end closed costs one call and changes nothing else", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr", "es")
		require.NoError(t, f.svc.EndByRequest(f.ctx(), "spk"))
		require.NoError(t, f.svc.Disconnect(f.ctx(), "spk", 1000))
		ended := f.mem.State()
		f.msgr.reset()

		for _, id := range []string{"l0", "l1"} {
			calls := f.mem.TotalCalls()
			require.NoError(t, f.svc.Disconnect(f.ctx(), id, 1000))
			assert.Equal(t, 1, f.mem.TotalCalls()-calls, "%s: one call, which removes its closing mark", id)
		}
		assert.Empty(t, f.mem.ConnectionIDs())
		assert.Equal(t, ended.Sessions, f.mem.State().Sessions)
		assert.Empty(t, f.msgr.all())
	})

	t.Run("a listener's lost connection after the end closed it costs one call too", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		require.NoError(t, f.svc.EndByRequest(f.ctx(), "spk"))
		calls := f.mem.TotalCalls()
		// API Gateway may report the service's own close as lost (1006).
		require.NoError(t, f.svc.Disconnect(f.ctx(), "l0", 1006))
		assert.Equal(t, 1, f.mem.TotalCalls()-calls)
		assert.Equal(t, []string{"l0"}, f.mem.ClosingIDs(), "a hold does not take a mark for a seat; the sweep removes it after the grace")
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
			before := f.mem.State()
			assert.Equal(t, tc.code, codeOf(f.svc.EndByRequest(f.ctx(), tc.connectionID)))
			assert.Equal(t, before, f.mem.State())
			assert.Empty(t, f.msgr.all())
		})
	}

	t.Run("a failure to end is reported and the speaker is not told", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		f.mem.FailNext("Sessions.End", errBoom)
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
		f.mem.PutSession(s)
		before := f.mem.State()
		require.NoError(t, f.svc.EndSession(f.ctx(), seededID, "spk", session.ReasonSpeakerDisconnected))
		assert.Equal(t, before, f.mem.State())
		assert.Empty(t, f.msgr.all())
	})

	t.Run("an end of a session already over changes nothing", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		require.NoError(t, f.svc.EndSession(f.ctx(), seededID, "spk", session.ReasonSpeakerEnded))
		assert.Empty(t, f.mem.State().Sessions)
	})

	// The end is written before the audience is read (a replaced speaker's
	// close costs the refused end alone), so listeners that cannot be listed
	// are the sweep's to tell and close: the session is over at once.
	t.Run("listeners that cannot be listed are told and closed by the next sweep", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr")
		f.mem.FailNext("Connections.Audience", errBoom)
		assert.ErrorIs(t, f.svc.EndSession(f.ctx(), seededID, "spk", session.ReasonSpeakerEnded), errBoom)
		assert.False(t, f.stored(seededID).Active)

		f.clock.advance(time.Second)
		rep, err := f.svc.Sweep(f.ctx())
		require.NoError(t, err)
		assert.Equal(t, session.SweepReport{Orphans: 1}, rep)
		assert.Equal(t, []session.Message{session.SessionEnded{SessionID: seededID, Reason: session.ReasonSpeakerEnded}}, f.msgr.to("l0"))
		assert.Equal(t, []string{"l0"}, f.msgr.closed())
	})

	t.Run("an end by a replaced speaker connection costs the refused end and no audience read", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		s := f.seed("fr")
		s.SpeakerConnectionID = "spk2"
		f.mem.PutSession(s)
		require.NoError(t, f.svc.EndSession(f.ctx(), seededID, "spk", session.ReasonSpeakerDisconnected))
		assert.Zero(t, f.mem.CallCount("Connections.Audience"))
	})

	// An ending that dies midway leaves what it did not finish for the sweep:
	// before its marks, records of a session that is over; after them,
	// marks that no $disconnect removes, and held seats.
	t.Run("an ending whose marks could not be written is finished by the next sweep", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr", "es", "es")
		_, err := f.mem.Connections().Hold(f.ctx(), "l2", start.Add(time.Minute))
		require.NoError(t, err)
		f.mem.FailNext("Connections.MarkClosing", errBoom)

		require.ErrorIs(t, f.svc.EndSession(f.ctx(), seededID, "spk", session.ReasonSpeakerEnded), errBoom)
		require.False(t, f.stored(seededID).Active)
		require.Empty(t, f.msgr.all(), "nobody was told")

		f.clock.advance(time.Second)
		rep, err := f.svc.Sweep(f.ctx())

		require.NoError(t, err)
		assert.Equal(t, session.SweepReport{Orphans: 3}, rep)
		ended := []session.Message{session.SessionEnded{SessionID: seededID, Reason: session.ReasonSpeakerEnded}}
		assert.Equal(t, ended, f.msgr.to("l0"))
		assert.Equal(t, ended, f.msgr.to("l1"))
		assert.Empty(t, f.msgr.to("l2"), "a held seat has no connection to tell")
		assert.ElementsMatch(t, []string{"l0", "l1"}, f.msgr.closed())
		assert.Equal(t, []string{"spk"}, f.mem.ConnectionIDs())

		f.msgr.reset()
		rep, err = f.svc.Sweep(f.ctx())
		require.NoError(t, err)
		assert.Equal(t, session.SweepReport{}, rep, "a finished ending is out of the sweep's sight")
		assert.Empty(t, f.msgr.all())
	})

	t.Run("an ending whose held seats could not be removed leaves them to the next sweep", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.seed("fr", "es")
		_, err := f.mem.Connections().Hold(f.ctx(), "l1", start.Add(time.Minute))
		require.NoError(t, err)
		f.mem.FailNext("Connections.DeleteMany", errBoom)

		require.ErrorIs(t, f.svc.EndSession(f.ctx(), seededID, "spk", session.ReasonSpeakerEnded), errBoom)
		assert.Equal(t, []session.Message{session.SessionEnded{SessionID: seededID, Reason: session.ReasonSpeakerEnded}}, f.msgr.to("l0"), "the open listener was told first")
		f.msgr.reset()

		f.clock.advance(time.Second)
		rep, err := f.svc.Sweep(f.ctx())

		require.NoError(t, err)
		assert.Equal(t, session.SweepReport{Orphans: 1}, rep)
		assert.Empty(t, f.msgr.all())
		assert.Equal(t, []string{"l0", "spk"}, f.mem.ConnectionIDs(), "l0's mark waits for its $disconnect")
	})

	t.Run("an ending that died while closing its listeners leaves marks the sweep closes after the grace", func(t *testing.T) {
		f := newFixture(t, session.Config{ClosingGrace: time.Minute})
		f.seed("fr", "es")
		f.msgr.setCloseFault(errBoom) // the closes never happen
		require.NoError(t, f.svc.EndSession(f.ctx(), seededID, "spk", session.ReasonExpired))
		require.Equal(t, []string{"l0", "l1"}, f.mem.ClosingIDs())
		f.msgr.setCloseFault(nil)
		f.msgr.reset()

		f.clock.advance(59 * time.Second)
		rep, err := f.svc.Sweep(f.ctx())
		require.NoError(t, err)
		assert.Zero(t, rep.Orphans, "within the grace the ending may still be closing them")
		assert.Empty(t, f.msgr.all())

		f.clock.advance(time.Second)
		rep, err = f.svc.Sweep(f.ctx())
		require.NoError(t, err)
		assert.Equal(t, 2, rep.Orphans)
		ended := []session.Message{session.SessionEnded{SessionID: seededID, Reason: session.ReasonExpired}}
		assert.Equal(t, ended, f.msgr.to("l0"), "told again: it may not have been")
		assert.Equal(t, ended, f.msgr.to("l1"))
		assert.ElementsMatch(t, []string{"l0", "l1"}, f.msgr.closed())
		assert.Equal(t, []string{"spk"}, f.mem.ConnectionIDs(), "the marks are gone")
	})
}
