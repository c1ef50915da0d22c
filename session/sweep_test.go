package session_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
	"github.com/livecast/sessions/session/sessiontest"
)

// otherID is a second session's id.
const otherID = "holy-dove-102"

func TestSweepPhases(t *testing.T) {
	ended := func(reason string) []session.Message {
		return []session.Message{session.SessionEnded{SessionID: seededID, Reason: reason}}
	}
	cases := []struct {
		name string
		// arrange starts from a session of alice's with listeners l0 (fr)
		// and l1 (es), everyone heard from when the clock stops at start+after.
		arrange func(f *fixture)
		after   time.Duration
		want    session.SweepReport
		check   func(t *testing.T, f *fixture)
		// next is what the following sweep reports when it has a repair
		// left; by default it only looks.
		next *session.SweepReport
	}{
		{
			name:  "an expired session is ended and its speaker and listeners are told why",
			after: 2 * time.Hour,
			want:  session.SweepReport{Ended: 1},
			check: func(t *testing.T, f *fixture) {
				s := f.stored(seededID)
				assert.False(t, s.Active)
				assert.Equal(t, session.ReasonExpired, s.EndedReason)
				for _, id := range []string{"spk", "l0", "l1"} {
					assert.Equal(t, ended(session.ReasonExpired), f.msgr.to(id), id)
				}
				assert.ElementsMatch(t, []string{"spk", "l0", "l1"}, f.msgr.closed())
				assert.Equal(t, []string{"l0", "l1"}, f.mem.ConnectionIDs(), "closing marks, until the closes' $disconnects")
				assert.Equal(t, []string{"l0", "l1"}, f.mem.ClosingIDs())
			},
		},
		{
			name: "a session whose speaker did not return by the deadline is ended",
			arrange: func(f *fixture) {
				lose(f, start.Add(time.Minute))
			},
			after: 2 * time.Minute,
			want:  session.SweepReport{Ended: 1},
			check: func(t *testing.T, f *fixture) {
				assert.Equal(t, session.ReasonSpeakerDisconnected, f.stored(seededID).EndedReason)
				assert.Equal(t, ended(session.ReasonSpeakerDisconnected), f.msgr.to("l0"))
				assert.Empty(t, f.msgr.to("spk"), "the lost speaker has no connection to tell")
			},
		},
		{
			name: "a session within its speaker's window waits",
			arrange: func(f *fixture) {
				lose(f, start.Add(5*time.Minute))
			},
			after: 2 * time.Minute,
			want:  session.SweepReport{ActiveSessions: 1, TotalListeners: 2},
			check: func(t *testing.T, f *fixture) {
				assert.True(t, f.stored(seededID).Active)
				assert.Empty(t, f.msgr.all())
			},
		},
		{
			name: "a speaker whose record is missing gets its reconnect window",
			arrange: func(f *fixture) {
				require.NoError(f.t, f.mem.Connections().DeleteMany(f.ctx(), []string{"spk"}))
			},
			after: time.Minute,
			want:  session.SweepReport{ActiveSessions: 1, TotalListeners: 2, SpeakersLost: 1},
			check: func(t *testing.T, f *fixture) {
				s := f.stored(seededID)
				assert.Equal(t, f.clock.Now().Add(window), s.ReconnectDeadline)
				assert.True(t, s.GapPaused)
				assert.Equal(t, session.SpeakerDisconnected{SessionID: seededID, ReconnectDeadline: s.ReconnectDeadline}, f.msgr.to("l0")[0])
				assert.Empty(t, f.msgr.closed(), "there is no connection to close")
			},
		},
		{
			name: "a silent speaker is closed and gets its reconnect window",
			arrange: func(f *fixture) {
				silence(f, "spk")
			},
			after: time.Minute,
			want:  session.SweepReport{ActiveSessions: 1, TotalListeners: 2, SpeakersLost: 1},
			check: func(t *testing.T, f *fixture) {
				assert.False(t, f.stored(seededID).SpeakerConnected())
				assert.Equal(t, []string{"spk"}, f.msgr.closed())
				_, kept := f.mem.Connection("spk")
				assert.False(t, kept)
				assert.Len(t, f.msgr.to("l1"), 3, "speakerDisconnected, broadcastState, sessionPaused")
			},
		},
		{
			name: "the closing marks of an ending that died midway are told and closed after the grace",
			arrange: func(f *fixture) {
				s := f.stored(seededID)
				s.Active, s.EndedReason, s.ListenerCount, s.ByLanguage = false, session.ReasonSpeakerEnded, 0, map[string]int{}
				f.mem.PutSession(s)
				require.NoError(f.t, f.mem.Connections().DeleteMany(f.ctx(), []string{"spk"}))
				require.NoError(f.t, f.mem.Connections().MarkClosing(f.ctx(), seededID, session.ReasonSpeakerEnded, []string{"l0", "l1"}, start))
			},
			after: session.DefaultConfig().ClosingGrace,
			want:  session.SweepReport{Orphans: 2},
			check: func(t *testing.T, f *fixture) {
				assert.Equal(t, ended(session.ReasonSpeakerEnded), f.msgr.to("l0"))
				assert.Equal(t, ended(session.ReasonSpeakerEnded), f.msgr.to("l1"))
				assert.Equal(t, []string{"l0", "l1"}, f.msgr.closed())
				assert.Empty(t, f.mem.ConnectionIDs())
			},
		},
		{
			name: "a silent listener's connection is closed and its seat held",
			arrange: func(f *fixture) {
				silence(f, "l0")
			},
			after: time.Minute,
			want:  session.SweepReport{ActiveSessions: 1, TotalListeners: 2, Closed: 1},
			check: func(t *testing.T, f *fixture) {
				assert.Equal(t, f.clock.Now().Add(window), f.record("l0").HeldUntil)
				assert.Equal(t, []string{"l0"}, f.msgr.closed())
				assert.Equal(t, 2, f.stored(seededID).ListenerCount, "the held seat stays counted")
			},
		},
		{
			name: "a seat held past its window is released and the speaker hears the new count",
			arrange: func(f *fixture) {
				hold(f, "l0", start.Add(time.Minute))
			},
			after: 2 * time.Minute,
			want:  session.SweepReport{ActiveSessions: 1, TotalListeners: 1, Released: 1},
			check: func(t *testing.T, f *fixture) {
				_, kept := f.mem.Connection("l0")
				assert.False(t, kept)
				assert.Equal(t, 1, f.stored(seededID).ListenerCount)
				assert.Equal(t, []session.Message{session.ListenerCount{SessionID: seededID, Total: 1, ByLanguage: map[string]int{"es": 1}}}, f.msgr.to("spk"))
			},
		},
		{
			name: "a seat held within its window is kept and counted",
			arrange: func(f *fixture) {
				hold(f, "l0", start.Add(5*time.Minute))
			},
			after: 2 * time.Minute,
			want:  session.SweepReport{ActiveSessions: 1, TotalListeners: 2},
			check: func(t *testing.T, f *fixture) {
				assert.True(t, f.record("l0").Held())
				assert.Empty(t, f.msgr.all())
			},
		},
		{
			name: "a listener record of an unknown session is removed and its connection closed",
			arrange: func(f *fixture) {
				f.mem.PutConnection(session.Connection{ID: "stray", SessionID: otherID, Role: session.RoleListener, TargetLanguage: "fr"})
			},
			after: time.Minute,
			want:  session.SweepReport{ActiveSessions: 1, TotalListeners: 2, Orphans: 1},
			check: func(t *testing.T, f *fixture) {
				_, kept := f.mem.Connection("stray")
				assert.False(t, kept)
				assert.Equal(t, []string{"stray"}, f.msgr.closed())
			},
		},
		{
			name: "a held record of an ended session is removed without a close",
			arrange: func(f *fixture) {
				f.mem.PutSession(session.Session{ID: otherID, ExpiresAt: start.Add(time.Hour)})
				f.mem.PutConnection(session.Connection{ID: "stray", SessionID: otherID, Role: session.RoleListener, TargetLanguage: "fr", HeldUntil: start.Add(time.Hour)})
			},
			after: time.Minute,
			want:  session.SweepReport{ActiveSessions: 1, TotalListeners: 2, Orphans: 1},
			check: func(t *testing.T, f *fixture) {
				_, kept := f.mem.Connection("stray")
				assert.False(t, kept)
				assert.Empty(t, f.msgr.closed())
			},
		},
		{
			name: "a listener of a session created after the sweep's read is left alone",
			arrange: func(f *fixture) {
				f.mem.PutSession(session.Session{ID: otherID, SpeakerConnectionID: "spk-b", Active: true, ExpiresAt: start.Add(time.Hour),
					ListenerCount: 1, ByLanguage: map[string]int{"fr": 1}})
				f.mem.PutConnection(session.Connection{ID: "new", SessionID: otherID, Role: session.RoleListener, TargetLanguage: "fr"})
				f.mem.HideFromLiveSessions(otherID)
			},
			after: time.Minute,
			want:  session.SweepReport{ActiveSessions: 1, TotalListeners: 2},
			check: func(t *testing.T, f *fixture) {
				f.record("new")
				assert.Empty(t, f.msgr.closed())
			},
		},
		{
			name: "counts that drifted from the records are reconciled",
			arrange: func(f *fixture) {
				s := f.stored(seededID)
				s.ListenerCount, s.ByLanguage = 5, map[string]int{"fr": 4, "es": 1}
				f.mem.PutSession(s)
			},
			after: time.Minute,
			want:  session.SweepReport{ActiveSessions: 1, TotalListeners: 2, Reconciled: 1},
			check: func(t *testing.T, f *fixture) {
				s := f.stored(seededID)
				assert.Equal(t, 2, s.ListenerCount)
				assert.Equal(t, map[string]int{"fr": 1, "es": 1}, s.ByLanguage)
			},
		},
		{
			name: "counts of an emptied session are reconciled to zero",
			arrange: func(f *fixture) {
				require.NoError(f.t, f.mem.Connections().DeleteMany(f.ctx(), []string{"l0", "l1"}))
			},
			after: time.Minute,
			want:  session.SweepReport{ActiveSessions: 1, Reconciled: 1},
			check: func(t *testing.T, f *fixture) {
				assert.Zero(t, f.stored(seededID).ListenerCount)
			},
		},
		{
			name: "counts that moved while the sweep looked are left for the next sweep",
			arrange: func(f *fixture) {
				s := f.stored(seededID)
				s.ListenerCount = 5
				f.mem.PutSession(s)
				f.mem.FailNext("SweepScans.SetCounts", session.ErrCountsChanged)
			},
			after: time.Minute,
			want:  session.SweepReport{ActiveSessions: 1, TotalListeners: 2},
			check: func(t *testing.T, f *fixture) {
				assert.Equal(t, 5, f.stored(seededID).ListenerCount)
			},
			next: &session.SweepReport{ActiveSessions: 1, TotalListeners: 2, Reconciled: 1},
		},
		{
			name:  "counts that match their records are not rewritten",
			after: time.Minute,
			want:  session.SweepReport{ActiveSessions: 1, TotalListeners: 2},
			check: func(t *testing.T, f *fixture) {
				assert.Zero(t, f.mem.CallCount("SweepScans.SetCounts"))
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, session.Config{})
			f.seed("fr", "es")
			f.clock.advance(tc.after)
			f.mem.HeardFromAllAt(f.clock.Now())
			if tc.arrange != nil {
				tc.arrange(f)
			}

			rep, err := f.svc.Sweep(f.ctx())

			require.NoError(t, err)
			assert.Equal(t, tc.want, rep)
			tc.check(t, f)

			// Every repair is done once: the next sweep only looks.
			f.msgr.reset()
			next := session.SweepReport{ActiveSessions: tc.want.ActiveSessions, TotalListeners: tc.want.TotalListeners}
			if tc.next != nil {
				next = *tc.next
			}
			again, err := f.svc.Sweep(f.ctx())
			require.NoError(t, err)
			assert.Equal(t, next, again)
			if tc.next == nil {
				assert.Empty(t, f.msgr.all())
			}
		})
	}
}

// lose marks the seeded session's speaker as lost until deadline.
func lose(f *fixture, deadline time.Time) {
	s := f.stored(seededID)
	s.ReconnectDeadline, s.GapPaused = deadline, true
	f.mem.PutSession(s)
	require.NoError(f.t, f.mem.Connections().DeleteMany(f.ctx(), []string{"spk"}))
}

// silence makes a record last heard from longer than HeartbeatTimeout ago.
func silence(f *fixture, id string) {
	c := f.record(id)
	c.LastSeenAt = f.clock.Now().Add(-91 * time.Second)
	f.mem.PutConnection(c)
}

// hold makes a record a seat held until until.
func hold(f *fixture, id string, until time.Time) {
	c := f.record(id)
	c.HeldUntil = until
	f.mem.PutConnection(c)
}

func TestSweepEndingASessionClosesItsListenersOnce(t *testing.T) {
	f := newFixture(t, session.Config{})
	f.seed("fr", "es")
	f.clock.advance(2 * time.Hour)
	rep, err := f.svc.Sweep(f.ctx())
	require.NoError(t, err)
	assert.Equal(t, session.SweepReport{Ended: 1}, rep)
	assert.ElementsMatch(t, []string{"spk", "l0", "l1"}, f.msgr.closed(), "each connection is closed once")
}

func TestSweepFailures(t *testing.T) {
	t.Run("a sweep that cannot list the live sessions fails", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.mem.FailNext("SweepScans.LiveSessions", errBoom)
		_, err := f.svc.Sweep(f.ctx())
		assert.ErrorIs(t, err, errBoom)
	})

	t.Run("a sweep that cannot scan the connections fails", func(t *testing.T) {
		f := newFixture(t, session.Config{})
		f.mem.FailNext("SweepScans.AllConnections", errBoom)
		_, err := f.svc.Sweep(f.ctx())
		assert.ErrorIs(t, err, errBoom)
	})

	// Each failed repair is counted and left to the next sweep; the rest
	// of the sweep goes on.
	cases := []struct {
		name    string
		arrange func(f *fixture)
		want    session.SweepReport
	}{
		{name: "a session that cannot be ended", want: session.SweepReport{Failures: 1}, arrange: func(f *fixture) {
			f.clock.advance(2 * time.Hour)
			f.mem.FailNext("Sessions.End", errBoom)
			f.mem.FailNext("Sessions.Get", errBoom, errBoom) // the orphan check cannot tell either
			f.mem.HeardFromAllAt(f.clock.Now())
		}},
		{name: "an ended session's speaker that cannot be told", want: session.SweepReport{Ended: 1, Failures: 1}, arrange: func(f *fixture) {
			f.clock.advance(2 * time.Hour)
			f.mem.HeardFromAllAt(f.clock.Now())
			f.msgr.setSendFault(errBoom)
		}},
		{name: "a silent speaker's record that cannot be removed", want: session.SweepReport{ActiveSessions: 1, TotalListeners: 2, SpeakersLost: 1, Failures: 1}, arrange: func(f *fixture) {
			f.clock.advance(time.Minute)
			f.mem.HeardFromAllAt(f.clock.Now())
			silence(f, "spk")
			f.mem.FailNext("Connections.Remove", errBoom)
		}},
		{name: "a speaker's window that cannot be opened", want: session.SweepReport{ActiveSessions: 1, TotalListeners: 2, SpeakersLost: 1, Failures: 1}, arrange: func(f *fixture) {
			f.clock.advance(time.Minute)
			f.mem.HeardFromAllAt(f.clock.Now())
			silence(f, "spk")
			f.mem.FailNext("Sessions.SpeakerLost", errBoom)
		}},
		{name: "a silent connection that cannot be closed", want: session.SweepReport{ActiveSessions: 1, TotalListeners: 2, Closed: 1, Failures: 1}, arrange: func(f *fixture) {
			f.clock.advance(time.Minute)
			f.mem.HeardFromAllAt(f.clock.Now())
			silence(f, "l0")
			f.msgr.setCloseFault(errBoom)
		}},
		{name: "a silent listener's seat that cannot be held", want: session.SweepReport{ActiveSessions: 1, TotalListeners: 2, Failures: 1}, arrange: func(f *fixture) {
			f.clock.advance(time.Minute)
			f.mem.HeardFromAllAt(f.clock.Now())
			silence(f, "l0")
			f.mem.FailNext("Connections.Hold", errBoom)
		}},
		{name: "a held seat that cannot be released", want: session.SweepReport{ActiveSessions: 1, TotalListeners: 1, Failures: 1}, arrange: func(f *fixture) {
			f.clock.advance(time.Minute)
			f.mem.HeardFromAllAt(f.clock.Now())
			hold(f, "l0", f.clock.Now())
			f.mem.FailNext("Connections.ReleaseHeld", errBoom)
		}},
		{name: "a released seat that cannot be uncounted", want: session.SweepReport{ActiveSessions: 1, TotalListeners: 1, Failures: 1}, arrange: func(f *fixture) {
			f.clock.advance(time.Minute)
			f.mem.HeardFromAllAt(f.clock.Now())
			hold(f, "l0", f.clock.Now())
			f.mem.FailNext("Sessions.Release", errBoom)
		}},
		{name: "an orphan record that cannot be removed", want: session.SweepReport{ActiveSessions: 1, TotalListeners: 2, Failures: 1}, arrange: func(f *fixture) {
			f.clock.advance(time.Minute)
			f.mem.HeardFromAllAt(f.clock.Now())
			f.mem.PutConnection(session.Connection{ID: "stray", SessionID: otherID, Role: session.RoleListener, TargetLanguage: "fr"})
			f.mem.FailNext("Connections.DeleteMany", errBoom)
		}},
		{name: "counts that cannot be reconciled", want: session.SweepReport{ActiveSessions: 1, TotalListeners: 2, Failures: 1}, arrange: func(f *fixture) {
			f.clock.advance(time.Minute)
			f.mem.HeardFromAllAt(f.clock.Now())
			s := f.stored(seededID)
			s.ListenerCount = 7
			f.mem.PutSession(s)
			f.mem.FailNext("SweepScans.SetCounts", errBoom)
		}},
		{name: "a stale closing mark that cannot be removed", want: session.SweepReport{ActiveSessions: 1, TotalListeners: 2, Failures: 1}, arrange: func(f *fixture) {
			f.mem.PutConnection(session.Connection{ID: "gone-already", SessionID: otherID, ClosingSince: start.Add(-time.Hour), ClosingReason: session.ReasonExpired})
			f.mem.FailNext("Connections.DeleteMany", errBoom)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is counted as a failure", func(t *testing.T) {
			f := newFixture(t, session.Config{})
			f.seed("fr", "es")
			tc.arrange(f)
			rep, err := f.svc.Sweep(f.ctx())
			require.NoError(t, err)
			assert.Equal(t, tc.want, rep)
		})
	}
}

func TestSweepDoesNotEndASessionWhoseSpeakerRefreshedMeanwhile(t *testing.T) {
	f := newFixture(t, session.Config{})
	f.seed("fr")
	f.clock.advance(2 * time.Hour)
	f.mem.HeardFromAllAt(f.clock.Now())
	// Between the sweep's read and its end, the speaker refreshes: a new
	// connection, and a session extended for two more hours.
	f.mem.BeforeNext("Sessions.End", func(b sessiontest.Backdoor) {
		s, _ := b.Session(seededID)
		s.SpeakerConnectionID, s.ExpiresAt = "spk2", f.clock.Now().Add(2*time.Hour)
		b.PutSession(s)
		b.PutConnection(session.Connection{ID: "spk2", SessionID: seededID, Role: session.RoleSpeaker, UserID: aliceID, LastSeenAt: f.clock.Now()})
	})

	rep, err := f.svc.Sweep(f.ctx())

	require.NoError(t, err)
	assert.Zero(t, rep.Ended)
	assert.Zero(t, rep.Failures)
	assert.True(t, f.stored(seededID).Active)
	assert.Empty(t, f.msgr.to("spk"), "the old connection does not hear of an end that did not happen")
	assert.Empty(t, f.msgr.closed())
}

func TestSweepThatCouldNotEndASessionLeavesItsListenersToTheNextSweep(t *testing.T) {
	f := newFixture(t, session.Config{})
	f.seed("fr", "es")
	f.clock.advance(2 * time.Hour)
	f.mem.HeardFromAllAt(f.clock.Now())
	f.mem.FailNext("Sessions.End", errBoom)

	rep, err := f.svc.Sweep(f.ctx())
	require.NoError(t, err)
	assert.Equal(t, session.SweepReport{Failures: 1}, rep)

	_, err = f.svc.Sweep(f.ctx())
	require.NoError(t, err)
	ended := []session.Message{session.SessionEnded{SessionID: seededID, Reason: session.ReasonExpired}}
	assert.Equal(t, ended, f.msgr.to("l0"), "every listener hears why its session ended")
	assert.Equal(t, ended, f.msgr.to("l1"))
}
