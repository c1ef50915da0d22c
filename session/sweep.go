package session

import (
	"context"
	"time"
)

// SweepReport says what one sweep found and repaired.
type SweepReport struct {
	ActiveSessions int
	TotalListeners int
	Ended          int // sessions ended (expired, speaker gone past its window)
	SpeakersLost   int // speakers found gone or silent: their reconnect window opened
	Closed         int // silent connections closed (a listener's seat is held)
	Released       int // held seats not reclaimed within the window
	Orphans        int // records, or stale closing marks, of connections whose session is over
	Reconciled     int // sessions whose counts were corrected
	Failures       int // repairs that failed; the next sweep retries
}

// Sweep is the scheduled repair (every minute on AWS). In order:
// sessions (end expired ones and those whose speaker's window passed; open
// the window of a speaker that is gone or silent), listeners (close silent
// ones, holding their seat; release seats held past the window; tell and
// close the listeners of ended sessions that an ending which died midway
// left open), then counts (make every live session's counts match its
// records). Every step is idempotent,
// so overlapping sweeps and late $disconnects are harmless.
//
// Cost: one Query of the live-sessions index, ceil(S/100) BatchGetItem and a
// Scan of Connections (pages of 1 MB), for S live sessions and C records.
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	var rep SweepReport
	live, err := s.scans.LiveSessions(ctx)
	if err != nil {
		return rep, classify("", err)
	}
	conns, err := s.scans.AllConnections(ctx)
	if err != nil {
		return rep, classify("", err)
	}
	sw := sweep{Service: s, now: s.now(), rep: &rep, byID: make(map[string]Connection, len(conns)), known: make(map[string]bool, len(live))}
	for _, c := range conns {
		sw.byID[c.ID] = c
	}
	for _, sess := range live {
		sw.known[sess.ID] = true
	}
	running := sw.sweepSessions(ctx, live)
	counts, touched := sw.sweepListeners(ctx, conns, running)
	sw.sweepCounts(ctx, running, counts, touched)
	return rep, nil
}

// sweep is one run's view: the time it started, the records it read and
// what it did so far.
type sweep struct {
	*Service
	now  time.Time
	rep  *SweepReport
	byID map[string]Connection
	// known are the sessions the sessions phase handled: their listeners
	// were closed with them (or, if ending failed, wait for the next sweep
	// to be told why), never treated as orphans.
	known map[string]bool
}

func (sw sweep) silent(c Connection) bool { return sw.now.Sub(c.LastSeenAt) >= sw.cfg.HeartbeatTimeout }

func (sw sweep) failed(ctx context.Context, what, sessionID string, err error) {
	sw.rep.Failures++
	sw.log.WarnContext(ctx, "sweep could not "+what, "operation", "sweep", "correlationId", sessionID, "error", err.Error())
}
