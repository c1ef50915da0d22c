package router

import (
	"context"
	"encoding/json"
	"time"

	"github.com/livecast/sessions/session"
)

// observe records the metrics of one handled operation (SPEC R18): latency of
// creations, joins and heartbeats; every error by code; rate-limit refusals.
func (r *Router) observe(operation string, start time.Time, err error) {
	if err != nil {
		code := session.ErrorCode(err)
		r.metrics.count(MetricConnectionErrors, 1, map[string]string{"ErrorCode": string(code)})
		if code == session.CodeRateLimitExceeded {
			r.metrics.count(MetricRateLimitExceeded, 1, nil)
		}
		return
	}
	elapsed := r.now().Sub(start)
	switch operation {
	case session.ActionCreate:
		r.metrics.latency(MetricSessionCreationLatency, elapsed)
	case session.ActionJoin:
		r.metrics.latency(MetricListenerJoinLatency, elapsed)
	case RouteHeartbeat:
		r.metrics.latency(MetricHeartbeatLatency, elapsed)
	}
}

// sweep runs the scheduled repair and publishes the gauges it measures.
func (r *Router) sweep(ctx context.Context) (json.RawMessage, error) {
	start := r.now()
	rep, err := r.svc.Sweep(ctx)
	r.logOutcome(ctx, "sweep", "", start, err, "activeSessions", rep.ActiveSessions, "totalListeners", rep.TotalListeners,
		"ended", rep.Ended, "closed", rep.Closed, "orphans", rep.Orphans, "reconciled", rep.Reconciled, "failures", rep.Failures)
	if err != nil {
		return nil, err
	}
	r.metrics.emit(nil,
		metric{name: MetricActiveSessions, unit: unitCount, value: float64(rep.ActiveSessions)},
		metric{name: MetricTotalListeners, unit: unitCount, value: float64(rep.TotalListeners)})
	return r.respond(rep)
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
