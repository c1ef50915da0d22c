package session

import (
	"context"
	"errors"
	"maps"
)

// sweepCounts makes every running session's counts equal its records (held seats
// included), unless this sweep moved them itself or they move meanwhile.
func (sw sweep) sweepCounts(ctx context.Context, running map[string]Session, records map[string]map[string]int, touched map[string]bool) {
	for id, sess := range running {
		by := records[id]
		total := 0
		for _, n := range by {
			total += n
		}
		sw.rep.ActiveSessions++
		sw.rep.TotalListeners += total
		if touched[id] || (total == sess.ListenerCount && sameCounts(by, sess.ByLanguage)) {
			// Counts this sweep moved are compared again by the next one.
			continue
		}
		err := sw.scans.SetCounts(ctx, sess, total, by)
		switch {
		case err == nil:
			sw.rep.Reconciled++
			sw.log.WarnContext(ctx, "listener count reconciled", "operation", "sweep", "correlationId", id, "stored", sess.ListenerCount, "records", total)
		case errors.Is(err, ErrCountsChanged):
			// Counts moved while we looked: they are being maintained; the
			// next sweep checks again.
		default:
			sw.failed(ctx, "reconcile counts", id, err)
		}
	}
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
