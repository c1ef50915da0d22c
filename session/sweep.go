package session

import (
	"context"
	"errors"
	"maps"
)

// SweepReport says what one sweep found and repaired.
type SweepReport struct {
	ActiveSessions int `json:"activeSessions"`
	TotalListeners int `json:"totalListeners"`
	Ended          int `json:"ended"`      // sessions ended (expired, speaker gone or silent)
	Closed         int `json:"closed"`     // silent connections closed
	Orphans        int `json:"orphans"`    // records of connections whose session is over
	Reconciled     int `json:"reconciled"` // sessions whose counts were corrected
	Failures       int `json:"failures"`   // repairs that failed; the next sweep retries
}

// Sweep is the scheduled repair (every minute on AWS): it ends sessions that
// expired or whose speaker is gone or silent, closes connections silent for
// HeartbeatTimeout, removes records whose $disconnect never arrived, and
// makes every live session's counts match its records. Every step is
// idempotent, so overlapping sweeps and late $disconnects are harmless.
//
// Cost: one Query of the live-sessions index, ceil(S/100) BatchGetItem and a
// Scan of Connections (pages of 1 MB), for S live sessions and C records.
func (s *Service) Sweep(ctx context.Context) (SweepReport, error) {
	var rep SweepReport
	now := s.now()
	live, err := s.store.LiveSessions(ctx)
	if err != nil {
		return rep, classify("", err)
	}
	conns, err := s.store.AllConnections(ctx)
	if err != nil {
		return rep, classify("", err)
	}
	byID := make(map[string]Connection, len(conns))
	for _, c := range conns {
		byID[c.ID] = c
	}
	silent := func(c Connection) bool { return now.Sub(c.LastSeenAt) >= s.cfg.HeartbeatTimeout }

	running := map[string]Session{}
	for _, sess := range live {
		speaker, present := byID[sess.SpeakerConnectionID]
		reason := ""
		switch {
		case !now.Before(sess.ExpiresAt):
			reason = ReasonExpired
		case !present:
			reason = ReasonSpeakerDisconnected
		case silent(speaker):
			reason = ReasonTimeout
		}
		if reason == "" {
			running[sess.ID] = sess
			continue
		}
		if err := s.EndSession(ctx, sess.ID, sess.SpeakerConnectionID, reason); err != nil {
			rep.Failures++
			s.log.WarnContext(ctx, "sweep could not end session", "operation", "sweep", "correlationId", sess.ID, "error", err.Error())
			continue
		}
		if present {
			// The speaker hears why too (best effort: a silent one is
			// probably gone), then its connection is closed.
			if err := s.messenger.Send(ctx, speaker.ID, SessionEnded{SessionID: sess.ID, Reason: reason}); err != nil && !errors.Is(err, ErrConnectionGone) {
				rep.Failures++
			}
			s.closeConnection(ctx, speaker, &rep)
		}
		rep.Ended++
	}

	counts := map[string]map[string]int{}
	touched := map[string]bool{} // sessions whose counts this sweep changed itself
	for _, c := range conns {
		if c.Role != RoleListener {
			continue
		}
		sess, ok := running[c.SessionID]
		switch {
		case !ok && s.orphaned(ctx, c):
			s.closeConnection(ctx, c, &rep)
			rep.Orphans++
		case ok && silent(c):
			// Only the caller that removed the record uncounts it: the
			// $disconnect our close triggers then finds nothing to do.
			if s.closeConnection(ctx, c, &rep) {
				if err := s.releaseListener(ctx, c, "sweep"); err != nil {
					rep.Failures++
				}
				touched[sess.ID] = true
			}
			rep.Closed++
		case ok:
			if counts[sess.ID] == nil {
				counts[sess.ID] = map[string]int{}
			}
			counts[sess.ID][c.TargetLanguage]++
		}
	}

	for id, sess := range running {
		by := counts[id]
		total := 0
		for _, n := range by {
			total += n
		}
		rep.ActiveSessions++
		rep.TotalListeners += total
		if touched[id] || (total == sess.ListenerCount && sameCounts(by, sess.ByLanguage)) {
			// Counts this sweep moved are compared again by the next one.
			continue
		}
		err := s.store.SetCounts(ctx, sess, total, by)
		switch {
		case err == nil:
			rep.Reconciled++
			s.log.WarnContext(ctx, "listener count reconciled", "operation", "sweep", "correlationId", id, "stored", sess.ListenerCount, "records", total)
		case errors.Is(err, ErrNotFound):
			// Counts moved while we looked: they are being maintained; the
			// next sweep checks again.
		default:
			rep.Failures++
		}
	}
	return rep, nil
}

// orphaned reports whether a listener's session is over. The sweep's list of
// live sessions predates its scan, so a session created in between is
// checked again before anything is closed.
func (s *Service) orphaned(ctx context.Context, c Connection) bool {
	sess, err := s.store.GetSession(ctx, c.SessionID)
	if errors.Is(err, ErrNotFound) {
		return true
	}
	return err == nil && !sess.Live(s.now())
}

// closeConnection removes a connection's record, then closes it through
// @connections (gone already is fine). It reports whether this call removed
// the record, i.e. owns the cleanup.
func (s *Service) closeConnection(ctx context.Context, c Connection, rep *SweepReport) bool {
	_, err := s.store.RemoveConnection(ctx, c.ID)
	removed := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		rep.Failures++
	}
	if err := s.messenger.Disconnect(ctx, c.ID); err != nil && !errors.Is(err, ErrConnectionGone) {
		rep.Failures++
		s.log.WarnContext(ctx, "sweep could not close connection", "operation", "sweep", "correlationId", c.SessionID, "error", err.Error())
	}
	return removed
}

func sameCounts(records, stored map[string]int) bool {
	nonZero := func(m map[string]int) map[string]int {
		out := map[string]int{}
		for k, v := range m {
			if v != 0 {
				out[k] = v
			}
		}
		return out
	}
	return maps.Equal(nonZero(records), nonZero(stored))
}
