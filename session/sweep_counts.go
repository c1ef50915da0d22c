package session

import (
	"context"
	"errors"
	"maps"
)

// sweepCounts makes every running session's counts equal its records (held seats
// included), unless this sweep moved them itself or they move meanwhile.
func (sw sweep) sweepCounts(ctx context.Context, running map[string]Session, records map[string]map[string]int, touched map[string]bool) {
	var refresh []Session // the language sets to put again (sweep_pipeline.go)
	defer func() { sw.refreshLanguages(ctx, refresh) }()
	for id, sess := range running {
		by := records[id]
		total := 0
		for _, n := range by {
			total += n
		}
		sw.rep.ActiveSessions++
		sw.rep.TotalListeners += total
		if touched[id] {
			// Counts this sweep moved are compared again by the next one;
			// the releases that moved them published their edges.
			continue
		}
		if total == sess.ListenerCount && sameCounts(by, sess.ByLanguage) {
			refresh = append(refresh, sess)
			continue
		}
		err := sw.scans.SetCounts(ctx, sess, total, by)
		switch {
		case err == nil:
			// SetCounts bumped the state version at least once: a lower
			// bound that still orders it after every earlier count change.
			fixed := sess
			fixed.ByLanguage, fixed.StateVersion = by, sess.StateVersion+1
			refresh = append(refresh, fixed)
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
