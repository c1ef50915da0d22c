package session

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Retries of a throttled post. API Gateway answers 429 when the account's
// request quota (10,000/s per Region, @connections included) is spent; the
// quota refills every second, so a short, jittered wait usually finds room,
// and the jitter keeps thousands of throttled posts from returning at the
// same instant. The waits stay well inside audio's default age (1 s).
const (
	throttleBackoffBase = 25 * time.Millisecond
	throttleBackoffCap  = 400 * time.Millisecond
	throttleAttempts    = 8
)

type postOutcome int

const (
	postDelivered postOutcome = iota
	postGone
	postFailed
	postStale
)

// post sends one message, retrying 429s while the retry can still start
// before deadline (zero: no age limit, only throttleAttempts). It reports
// the outcome and how many 429s it met; err explains postFailed.
func (s *Service) post(ctx context.Context, connectionID string, msg Message, deadline time.Time) (postOutcome, int, error) {
	throttled := 0
	for attempt := 0; ; attempt++ {
		if s.expired(deadline) {
			return postStale, throttled, nil
		}
		err := s.messenger.Send(ctx, connectionID, msg)
		switch {
		case err == nil:
			return postDelivered, throttled, nil
		case errors.Is(err, ErrConnectionGone):
			return postGone, throttled, nil
		case !errors.Is(err, ErrThrottled):
			return postFailed, throttled, err
		}
		throttled++
		if attempt+1 >= throttleAttempts {
			return postFailed, throttled, err
		}
		wait := throttleBackoff(attempt)
		if !deadline.IsZero() && !s.now().Add(wait).Before(deadline) {
			return postStale, throttled, nil // the retry would post too late
		}
		if err := s.sleep(ctx, wait); err != nil {
			return postFailed, throttled, err
		}
	}
}

// throttleBackoff is "equal jitter": half the exponential step for sure,
// the other half at random, so every retry waits and no two wait alike.
func throttleBackoff(attempt int) time.Duration {
	step := min(throttleBackoffCap, throttleBackoffBase<<attempt)
	return step/2 + rand.N(step/2+1)
}

// expired reports whether deadline is set and has come.
func (s *Service) expired(deadline time.Time) bool {
	return !deadline.IsZero() && !s.now().Before(deadline)
}

// sleepContext waits for d or until ctx ends: Deps.Sleep's default.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
