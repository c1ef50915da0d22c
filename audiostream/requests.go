package audiostream

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/smithy-go/middleware"
)

// Requests counts Kinesis requests by API (PutRecord, GetRecords ...),
// retries included, and Put's retries apart. Tests and benchmarks assert on
// it: unlike latency, it does not depend on the machine.
type Requests struct {
	mu      sync.Mutex
	byAPI   map[string]int64
	retries int64
}

// retryKey marks the context of a request that repeats an earlier attempt.
type retryKey struct{}

// Retries returns how many of the PutRecord requests were retries: they
// depend on faults (throttling, a slow emulator), not on the design.
func (r *Requests) Retries() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.retries
}

// Count returns the requests made to api so far; "" counts them all.
func (r *Requests) Count(api string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n int64
	for name, c := range r.byAPI {
		if api == "" || name == api {
			n += c
		}
	}
	return n
}

// Option installs the counter on a Kinesis client.
func (r *Requests) Option() func(*kinesis.Options) {
	return func(o *kinesis.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			// After the retry middleware, so every attempt on the wire is seen.
			return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("countKinesisRequests",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					api := middleware.GetOperationName(ctx)
					r.mu.Lock()
					if r.byAPI == nil {
						r.byAPI = map[string]int64{}
					}
					r.byAPI[api]++
					if retry, _ := ctx.Value(retryKey{}).(bool); retry {
						r.retries++
					}
					r.mu.Unlock()
					return next.HandleFinalize(ctx, in)
				}), middleware.After)
		})
	}
}
