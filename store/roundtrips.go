package store

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// RoundTrips counts DynamoDB requests sent on the wire (retries included).
// Tests and benchmarks assert on it: unlike latency, it does not depend on
// the machine.
type RoundTrips struct{ n atomic.Int64 }

// Count returns the requests sent so far.
func (r *RoundTrips) Count() int64 { return r.n.Load() }

// Option installs the counter on a DynamoDB client.
func (r *RoundTrips) Option() func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			// After the retry middleware, so every attempt is counted.
			return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("countRoundTrips",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					r.n.Add(1)
					if scoped, ok := ctx.Value(roundTripsKey{}).(*RoundTrips); ok && scoped != r {
						scoped.n.Add(1)
					}
					return next.HandleFinalize(ctx, in)
				}), middleware.After)
		})
	}
}

type roundTripsKey struct{}

// CountInto returns a context whose DynamoDB requests are also counted in r,
// so a test can attribute requests to one invocation while others run.
func CountInto(ctx context.Context, r *RoundTrips) context.Context {
	return context.WithValue(ctx, roundTripsKey{}, r)
}
