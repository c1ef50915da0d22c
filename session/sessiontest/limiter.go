package sessiontest

import (
	"context"
	"sync"
	"time"

	"github.com/livecast/sessions/session"
)

// Limiter is an in-memory session.Limiter with the store's fixed windows:
// a window is a set of members, so a replayed member is not counted twice.
// Unlike the store (one write per window length) it takes every limit or
// none in one step, as the port promises.
type Limiter struct {
	mu      sync.Mutex
	members map[string]map[string]bool // key#limit#windowStart -> members
	fault   error                      // returned by every Take while set
}

var _ session.Limiter = (*Limiter)(nil)

// NewLimiter returns a limiter that has counted nothing.
func NewLimiter() *Limiter { return &Limiter{members: map[string]map[string]bool{}} }

// FailWith makes every Take return err (nil: work again).
func (l *Limiter) FailWith(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fault = err
}

// Take implements session.Limiter.
func (l *Limiter) Take(_ context.Context, key, member string, limits []session.Limit, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fault != nil {
		return l.fault
	}
	bucket := func(lim session.Limit) string {
		return key + "#" + lim.Name + "#" + now.Truncate(lim.Window).Format(time.RFC3339Nano)
	}
	for _, lim := range limits {
		set := l.members[bucket(lim)]
		if len(set) >= lim.Max && !set[member] {
			end := now.Truncate(lim.Window).Add(lim.Window)
			return &session.RateLimitedError{Limit: lim.Name, RetryAfter: max(int(end.Sub(now).Round(time.Second)/time.Second), 1)}
		}
	}
	for _, lim := range limits {
		b := bucket(lim)
		if l.members[b] == nil {
			l.members[b] = map[string]bool{}
		}
		l.members[b][member] = true
	}
	return nil
}
