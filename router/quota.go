package router

import (
	"context"
	"sync/atomic"
)

// The account's API Gateway request quota (10,000 requests/s per Region by
// default) counts every @connections call. Each invocation counts its calls
// and emits them once as MetricConnectionsAPICalls, so CloudWatch can sum
// them per second or minute, per environment (namespace), and alarm before
// the quota is reached.

type callCounterKey struct{}

type callCounter struct{ n atomic.Int64 }

// withCallCounter gives ctx a counter of @connections calls.
func withCallCounter(ctx context.Context) (context.Context, *callCounter) {
	c := &callCounter{}
	return context.WithValue(ctx, callCounterKey{}, c), c
}

// countCall counts one @connections call against ctx's invocation.
func countCall(ctx context.Context) {
	if c, ok := ctx.Value(callCounterKey{}).(*callCounter); ok {
		c.n.Add(1)
	}
}

// emitCalls publishes the calls an invocation made, if any.
func (r *Router) emitCalls(c *callCounter) {
	if n := c.n.Load(); n > 0 {
		r.metrics.count(MetricConnectionsAPICalls, int(n), nil)
	}
}
