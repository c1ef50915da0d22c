package session

import (
	"context"
	"errors"
	"time"
)

// What the per-address limits protect (README, "Limits and the venue"): a
// room of phones shares one public address, so an address is not a person.
// The service is protected by a high ceiling on connection attempts per
// address; a session's seats by counting new seats per address and session
// and by bounding the seats an address has held for lost connections, which
// are the seats an attacker can take without keeping anything open.

// takeConnectionAttempt counts a $connect against its source address: the
// flood ceiling of every door.
func (s *Service) takeConnectionAttempt(ctx context.Context, req ConnectRequest) error {
	return s.take(ctx, "ip:"+HashID(req.SourceIP), req.ConnectionID, s.attemptLimit())
}

func (s *Service) attemptLimit() Limit {
	return Limit{Name: "connectionAttempts", Max: s.cfg.ConnectionAttemptsPerMin, Window: time.Minute}
}

// takeNewSeat is what every door that may add a seat to sessionID passes (a
// join, a token-less refresh): the connection attempt and the address's new
// seats in that session, in one write, then the bound on the address's held
// seats, one read. The read comes second, not beside the write: an attempt
// the flood ceiling refuses then costs one request, not two. A resume
// passes only the attempt: it takes back a seat it holds, so nothing here
// may refuse it.
func (s *Service) takeNewSeat(ctx context.Context, req ConnectRequest, sessionID string) error {
	ip := HashID(req.SourceIP)
	joins := Limit{Name: "listenerJoins", Max: s.cfg.ListenerJoinsPerMinute, Window: time.Minute, Scope: sessionID}
	if err := s.take(ctx, "ip:"+ip, req.ConnectionID, s.attemptLimit(), joins); err != nil {
		return err
	}
	return s.checkHeldSeats(ctx, sessionID, ip)
}

// checkHeldSeats refuses a new seat while the address holds
// MaxHeldSeatsPerAddress seats of the session for lost connections, until
// enough of them free for it to be under the bound (at the bound, when the
// oldest frees). It is a read: a hold that lands while a join is admitted
// would have let that join in a moment earlier anyway.
func (s *Service) checkHeldSeats(ctx context.Context, sessionID, ipHash string) error {
	now := s.now()
	until, err := s.limiter.HeldSeats(ctx, sessionID, ipHash, now)
	if err != nil {
		return s.limitOutcome(ctx, err)
	}
	if n := len(until) - s.cfg.MaxHeldSeatsPerAddress; n >= 0 {
		wait := until[n].Sub(now)
		return s.limitOutcome(ctx, &RateLimitedError{Limit: "heldSeats", RetryAfter: max(int((wait+time.Second-1)/time.Second), 1)})
	}
	return nil
}

// noteHeld records a lost listener's held seat against its address. A
// failure is logged and forgotten: the seat is held either way, and the
// bound undercounts it (limits must not take the service down).
func (s *Service) noteHeld(ctx context.Context, held Connection) {
	err := s.limiter.HoldSeat(ctx, held.SessionID, held.ID, held.SourceIPHash, held.HeldUntil)
	if err = s.limitOutcome(ctx, err); err != nil {
		s.log.WarnContext(ctx, "held seat not counted against its address", "operation", "disconnect", "correlationId", held.SessionID, "error", err.Error())
	}
}

// forgetHeld takes a seat that was reclaimed or released off its address's
// held seats. A failure leaves it counted until its hold would have ended.
func (s *Service) forgetHeld(ctx context.Context, sessionID, connectionID string) {
	err := s.limiter.UnholdSeat(ctx, sessionID, connectionID)
	if err = s.limitOutcome(ctx, err); err != nil {
		s.log.WarnContext(ctx, "reclaimed or released seat still counted against its address", "operation", "heldSeats", "correlationId", sessionID, "error", err.Error())
	}
}

// take applies rate limits (see limitOutcome).
func (s *Service) take(ctx context.Context, key, member string, limits ...Limit) error {
	return s.limitOutcome(ctx, s.limiter.Take(ctx, key, member, limits, s.now()))
}

// limitOutcome turns what the limiter answered into the request's outcome.
// When only the rate-limit table is missing or inaccessible, limits are
// skipped (docs/SPEC.md R21: they protect the service, they must not take it
// down), with one warning per outage rather than one per request. Any other
// failure means the database itself is in trouble: the request fails at once
// with 503 instead of waiting on a second timeout. A refusal is returned,
// not logged: the router logs every outcome once.
func (s *Service) limitOutcome(ctx context.Context, err error) error {
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
