package router

import (
	"context"
	"encoding/json"
	"time"
)

// sweepReport is the sweep's answer to its invoker (EventBridge ignores it;
// an operator invoking the function by hand reads it).
type sweepReport struct {
	ActiveSessions int `json:"activeSessions"`
	TotalListeners int `json:"totalListeners"`
	Ended          int `json:"ended"`
	SpeakersLost   int `json:"speakersLost"`
	Closed         int `json:"closed"`
	Released       int `json:"released"`
	Orphans        int `json:"orphans"`
	Reconciled     int `json:"reconciled"`
	Failures       int `json:"failures"`
}

// sweep runs the scheduled repair and publishes the gauges it measures.
func (r *Router) sweep(ctx context.Context) (json.RawMessage, error) {
	start := r.now()
	rep, err := r.svc.Sweep(ctx)
	r.logOutcome(ctx, "sweep", "", start, err, "activeSessions", rep.ActiveSessions, "totalListeners", rep.TotalListeners,
		"ended", rep.Ended, "speakersLost", rep.SpeakersLost, "closed", rep.Closed, "released", rep.Released, "orphans", rep.Orphans, "reconciled", rep.Reconciled, "failures", rep.Failures)
	if err != nil {
		return nil, err
	}
	r.metrics.emit(nil,
		metric{name: MetricActiveSessions, unit: unitCount, value: float64(rep.ActiveSessions)},
		metric{name: MetricTotalListeners, unit: unitCount, value: float64(rep.TotalListeners)},
		metric{name: MetricSweepCompleted, unit: unitCount, value: 1})
	return r.respond(sweepReport(rep))
}

// ScheduledEvent is what EventBridge's one-minute schedule delivers (the
// fields the router looks at); local mode sends the same.
func ScheduledEvent(now time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": "local-sweep", "detail-type": "Scheduled Event", "source": "aws.events",
		"time": now.UTC().Format(time.RFC3339), "detail": map[string]any{},
	})
	return b
}
