package session

import (
	"context"
	"errors"
	"time"
)

// takeConnectionAttempt counts a $connect against its source IP, and a join
// too when join is set; both share one item so a join costs one write.
func (s *Service) takeConnectionAttempt(ctx context.Context, req ConnectRequest, join bool) error {
	limits := []Limit{{Name: "connectionAttempts", Max: s.cfg.ConnectionAttemptsPerMin, Window: time.Minute}}
	if join {
		limits = append(limits, Limit{Name: "listenerJoins", Max: s.cfg.ListenerJoinsPerMinute, Window: time.Minute})
	}
	return s.take(ctx, "ip:"+HashID(req.SourceIP), req.ConnectionID, limits...)
}

// take applies rate limits. When only the rate-limit table is missing or
// inaccessible, limits are skipped (docs/SPEC.md R21: they protect the service, they
// must not take it down), with one warning per outage rather than one per
// request. Any other failure means the database itself is in trouble: the
// request fails at once with 503 instead of waiting on a second timeout.
// A refusal is returned, not logged: the router logs every outcome once.
func (s *Service) take(ctx context.Context, key, member string, limits ...Limit) error {
	err := s.limiter.Take(ctx, key, member, limits, s.now())
	switch {
	case err == nil:
		if s.limitsDown.CompareAndSwap(true, false) {
			s.log.InfoContext(ctx, "rate limits enforced again", "operation", "rateLimit")
		}
		return nil
	case errors.Is(err, ErrLimitsUnavailable):
		if s.limitsDown.CompareAndSwap(false, true) {
			s.log.WarnContext(ctx, "rate limits skipped: rate-limit table unavailable", "operation", "rateLimit", "error", err.Error())
		}
		return nil
	default:
		return classify("", err)
	}
}
