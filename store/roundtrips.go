package store

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// RoundTrips counts DynamoDB requests. Tests and benchmarks assert on it:
// unlike latency, it does not depend on the machine.
type RoundTrips struct {
	calls    atomic.Int64 // operations the code asked for
	attempts atomic.Int64 // requests sent on the wire, retries included
}

// Count returns the DynamoDB operations made so far: the design's round
// trips. Retries of the same operation are not counted here (they depend on
// faults, not on the design); Attempts counts them.
func (r *RoundTrips) Count() int64 { return r.calls.Load() }

// Attempts returns the requests sent on the wire, retries included.
func (r *RoundTrips) Attempts() int64 { return r.attempts.Load() }

type roundTripsKey struct{}

// CountInto returns a context whose DynamoDB requests are also counted in r,
// so a test can attribute requests to one invocation while others run.
func CountInto(ctx context.Context, r *RoundTrips) context.Context {
	return context.WithValue(ctx, roundTripsKey{}, r)
}

// Option installs the counter on a DynamoDB client.
func (r *RoundTrips) Option() func(*dynamodb.Options) {
	counters := func(ctx context.Context) []*RoundTrips {
		if scoped, ok := ctx.Value(roundTripsKey{}).(*RoundTrips); ok && scoped != r {
			return []*RoundTrips{r, scoped}
		}
		return []*RoundTrips{r}
	}
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("countRoundTrips",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					for _, c := range counters(ctx) {
						c.calls.Add(1)
					}
					return next.HandleInitialize(ctx, in)
				}), middleware.Before)
			if err != nil {
				return err
			}
			// After the retry middleware, so every attempt is seen.
			return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("countAttempts",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					for _, c := range counters(ctx) {
						c.attempts.Add(1)
					}
					return next.HandleFinalize(ctx, in)
				}), middleware.After)
		})
	}
}
