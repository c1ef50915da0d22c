package session

import (
	"context"
	"errors"
)

// sweepListeners repairs listener records: a silent listener is closed and its
// seat held (a heartbeat timeout is a lost connection); a seat held past the
// window is released; a record of an ended session, or a closing mark older
// than ClosingGrace, is a listener an ending did not close: it is told why
// and closed. It returns the records per running session and language, and
// the sessions whose counts it changed itself.
func (sw sweep) sweepListeners(ctx context.Context, conns []Connection, running map[string]Session) (counts map[string]map[string]int, touched map[string]bool) {
	counts, touched = map[string]map[string]int{}, map[string]bool{}
	for _, c := range conns {
		if c.Closing() {
			if sw.now.Sub(c.ClosingSince) >= sw.cfg.ClosingGrace {
				// The ended session's item says which version ended it.
				sess, _ := sw.orphaned(ctx, c)
				sw.closeOrphan(ctx, c, c.ClosingReason, sess.StateVersion)
			}
			continue
		}
		if c.Role != RoleListener {
			continue
		}
		sess, ok := running[c.SessionID]
		switch {
		case !ok && sw.known[c.SessionID]:
			// Ended by this sweep with its listeners, or left for the next.
		case !ok:
			if sess, over := sw.orphaned(ctx, c); over {
				sw.closeOrphan(ctx, c, sess.EndedReason, sess.StateVersion)
			}
		case ok && c.Held() && !sw.now.Before(c.HeldUntil):
			sw.releaseHeld(ctx, c)
			touched[sess.ID] = true
		case ok && !c.Held() && sw.silent(c):
			sw.holdSilent(ctx, c)
			sw.count(counts, c)
		case ok:
			sw.count(counts, c)
		}
	}
	return counts, touched
}

func (sw sweep) count(counts map[string]map[string]int, c Connection) {
	if counts[c.SessionID] == nil {
		counts[c.SessionID] = map[string]int{}
	}
	counts[c.SessionID][c.TargetLanguage]++
}

// orphaned reports whether a listener's session is over, and returns it when
// it still exists. The sweep's list of live sessions predates its scan, so a
// session created in between is checked again before anything is closed.
func (sw sweep) orphaned(ctx context.Context, c Connection) (Session, bool) {
	sess, err := sw.sessions.Get(ctx, c.SessionID)
	if errors.Is(err, ErrNotFound) {
		return Session{}, true
	}
	return sess, err == nil && !sess.Live(sw.now)
}

// closeOrphan removes the record (or closing mark) of a listener whose
// session is over and, unless its seat was a held one, tells it why (when
// known) and closes it: what the ending would have done. A listener the
// ending told just before it died may hear it twice.
func (sw sweep) closeOrphan(ctx context.Context, c Connection, reason string, version int64) {
	if err := sw.conns.DeleteMany(ctx, []string{c.ID}); err != nil {
		sw.failed(ctx, "remove an orphan record", c.SessionID, err)
		return
	}
	if !c.Held() {
		if reason != "" {
			if err := sw.messenger.Send(ctx, c.ID, SessionEnded{SessionID: c.SessionID, Reason: reason, StateVersion: version}); err != nil && !errors.Is(err, ErrConnectionGone) {
				sw.failed(ctx, "tell an orphan why", c.SessionID, err)
			}
		}
		sw.disconnect(ctx, c)
	}
	sw.rep.Orphans++
}

// holdSilent keeps the seat of a listener that stopped heartbeating, then
// closes its connection; the $disconnect that follows finds the seat held
// and changes nothing.
func (sw sweep) holdSilent(ctx context.Context, c Connection) {
	held, err := sw.conns.Hold(ctx, c.ID, sw.now.Add(sw.cfg.ReconnectWindow))
	if err != nil && !errors.Is(err, ErrNotFound) {
		sw.failed(ctx, "hold a silent listener's seat", c.SessionID, err)
		return
	}
	if err == nil {
		sw.noteHeld(ctx, held)
	}
	sw.disconnect(ctx, c)
	sw.rep.Closed++
}

// releaseHeld gives up a seat its listener did not reclaim in time. Only the
// caller that deleted the record uncounts it.
func (sw sweep) releaseHeld(ctx context.Context, c Connection) {
	held, err := sw.conns.ReleaseHeld(ctx, c.ID, sw.now)
	if errors.Is(err, ErrNotFound) {
		return // reclaimed meanwhile
	}
	if err != nil {
		sw.failed(ctx, "release a held seat", c.SessionID, err)
		return
	}
	sw.forgetHeld(ctx, held.SessionID, held.ID)
	if err := sw.releaseListener(ctx, held, "sweep"); err != nil {
		sw.failed(ctx, "uncount a released seat", c.SessionID, err)
		return
	}
	sw.rep.Released++
}
