package gateway

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Faults bring AWS's @connections behaviour into the lab. On localhost a
// POST takes well under a millisecond; from Lambda it takes tens (AWS
// publishes no figure: model 20 ms), and a design that only ever ran on
// the first cannot tell whether it keeps up with the second. The zero
// value adds nothing.
type Faults struct {
	// Latency is added before answering every @connections request (POST,
	// GET and DELETE alike: each is one HTTPS call from Lambda).
	Latency time.Duration
	// GoneShare (0..1) of POSTs are answered 410 GoneException without
	// delivering, as for a client that vanished between two chunks.
	GoneShare float64
	// ThrottleShare (0..1) of POSTs are answered 429
	// LimitExceededException without delivering, as when the account's
	// API Gateway request quota is spent.
	ThrottleShare float64
	// Seed makes the choice of faulted POSTs repeatable; 0 → random.
	Seed uint64
}

func (f Faults) validate() error {
	switch {
	case f.Latency < 0:
		return fmt.Errorf("gateway: @connections latency %v must not be negative", f.Latency)
	case f.GoneShare < 0 || f.ThrottleShare < 0 || f.GoneShare+f.ThrottleShare > 1:
		return fmt.Errorf("gateway: fault shares (410 %.3f, 429 %.3f) must be within 0..1 together", f.GoneShare, f.ThrottleShare)
	}
	return nil
}

// faulter draws the faults of each request.
type faulter struct {
	f  Faults
	mu sync.Mutex
	r  *rand.Rand
}

func newFaulter(f Faults) *faulter {
	seed := f.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	return &faulter{f: f, r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// wait holds the answer for the configured latency; a caller that gives up
// first ends the wait (its answer no longer matters).
func (fl *faulter) wait(ctx context.Context) {
	if fl.f.Latency <= 0 {
		return
	}
	t := time.NewTimer(fl.f.Latency)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// postFault answers a POST with an injected fault and reports whether it did.
func (fl *faulter) postFault(w http.ResponseWriter) bool {
	if fl.f.GoneShare == 0 && fl.f.ThrottleShare == 0 {
		return false
	}
	fl.mu.Lock()
	x := fl.r.Float64()
	fl.mu.Unlock()
	switch {
	case x < fl.f.GoneShare:
		writeGone(w)
	case x < fl.f.GoneShare+fl.f.ThrottleShare:
		writeAWSError(w, http.StatusTooManyRequests, "LimitExceededException", "Limit Exceeded")
	default:
		return false
	}
	return true
}
