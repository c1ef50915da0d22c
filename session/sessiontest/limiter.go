package sessiontest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/livecast/sessions/session"
)

// Limiter is an in-memory session.Limiter with the store's fixed windows:
// a window is a set of members, so a replayed member is not counted twice.
// As in the store, the limits that share a window are taken in one step,
// every one or none, and a refusal names them all ("a+b"): the store's
// failed condition cannot say which of them was full.
type Limiter struct {
	mu      sync.Mutex
	members map[string]map[string]bool     // key#limit@scope#windowStart -> members
	held    map[string]map[string]heldSeat // session -> connection -> its held seat
	fault   error                          // returned by every call while set
}

// heldSeat is one seat noted by HoldSeat.
type heldSeat struct {
	ipHash string
	until  time.Time
}

var _ session.Limiter = (*Limiter)(nil)

// NewLimiter returns a limiter that has counted nothing.
func NewLimiter() *Limiter {
	return &Limiter{members: map[string]map[string]bool{}, held: map[string]map[string]heldSeat{}}
}

// FailWith makes every call return err (nil: work again).
func (l *Limiter) FailWith(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fault = err
}

// Take implements session.Limiter window by window, in the order the
// limits first name each window, as the store does.
func (l *Limiter) Take(_ context.Context, key, member string, limits []session.Limit, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fault != nil {
		return l.fault
	}
	byWindow := map[time.Duration][]session.Limit{}
	var order []time.Duration
	for _, lim := range limits {
		if _, seen := byWindow[lim.Window]; !seen {
			order = append(order, lim.Window)
		}
		byWindow[lim.Window] = append(byWindow[lim.Window], lim)
	}
	for _, w := range order {
		if err := l.take(key, member, byWindow[w], now); err != nil {
			return err
		}
	}
	return nil
}

// take counts member under limits, which share one window, or refuses.
// The caller holds l.mu.
func (l *Limiter) take(key, member string, limits []session.Limit, now time.Time) error {
	window := limits[0].Window
	bucket := func(lim session.Limit) string {
		return key + "#" + lim.Name + "@" + lim.Scope + "#" + now.Truncate(window).Format(time.RFC3339Nano)
	}
	names := make([]string, len(limits))
	full := false
	for i, lim := range limits {
		names[i] = lim.Name
		set := l.members[bucket(lim)]
		full = full || (len(set) >= lim.Max && !set[member])
	}
	if full {
		end := now.Truncate(window).Add(window)
		return &session.RateLimitedError{Limit: strings.Join(names, "+"), RetryAfter: max(int(end.Sub(now).Round(time.Second)/time.Second), 1)}
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

// HoldSeat implements session.Limiter.
func (l *Limiter) HoldSeat(_ context.Context, sessionID, connectionID, sourceIPHash string, until time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fault != nil {
		return l.fault
	}
	if l.held[sessionID] == nil {
		l.held[sessionID] = map[string]heldSeat{}
	}
	l.held[sessionID][connectionID] = heldSeat{ipHash: sourceIPHash, until: until}
	return nil
}

// UnholdSeat implements session.Limiter.
func (l *Limiter) UnholdSeat(_ context.Context, sessionID, connectionID string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fault != nil {
		return l.fault
	}
	delete(l.held[sessionID], connectionID)
	return nil
}

// HeldSeats implements session.Limiter.
func (l *Limiter) HeldSeats(_ context.Context, sessionID, sourceIPHash string, now time.Time) ([]time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fault != nil {
		return nil, l.fault
	}
	var out []time.Time
	for _, h := range l.held[sessionID] {
		if h.ipHash == sourceIPHash && h.until.After(now) {
			out = append(out, h.until)
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return out, nil
}
