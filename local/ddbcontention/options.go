package ddbcontention

import "time"

// DefaultHold is how long a transaction holds its items when Options.Hold
// is zero: the order of a real TransactWriteItems' two-phase commit.
const DefaultHold = 20 * time.Millisecond

// Options tunes the proxy. The zero value is DynamoDB-like: a 20 ms hold,
// no added latency.
type Options struct {
	// Hold is how long a TransactWriteItems holds its items from its
	// arrival. Zero means DefaultHold; a negative value holds nothing, which
	// makes the proxy a counting pass-through (plain moto, for comparison).
	Hold time.Duration
	// Latency is added to every request before it is judged or forwarded,
	// standing in for the network to DynamoDB. Zero adds nothing.
	Latency time.Duration
	// Jitter adds a uniformly random extra delay in [0, Jitter) to every
	// request. Zero adds nothing.
	Jitter time.Duration
	// Seed seeds the jitter's random source, so a run's sequence of delays
	// can be repeated (the order in which concurrent requests draw them
	// cannot).
	Seed uint64
}

func (o Options) hold() time.Duration {
	switch {
	case o.Hold == 0:
		return DefaultHold
	case o.Hold < 0:
		return 0
	}
	return o.Hold
}
