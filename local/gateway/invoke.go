package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// invoke calls the product the way API Gateway's Lambda integration does: one
// event, bounded by the integration timeout. The handler runs in its own
// goroutine so a handler that ignores its context still cannot hold the
// caller past the timeout (on AWS, Lambda would be cut off there).
func (s *Server) invoke(ctx context.Context, ev *events.APIGatewayWebsocketProxyRequest) (*events.APIGatewayProxyResponse, error) {
	route := ev.RequestContext.RouteKey
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", route, err)
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("%s: encode event: %w", route, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.HandlerTimeout)
	defer cancel()

	type result struct {
		out json.RawMessage
		err error
	}
	done := make(chan result, 1)
	s.wg.Go(func() {
		// The Lambda runtime turns a panic into a function error; so do we,
		// rather than taking the whole local stack down.
		defer func() {
			if p := recover(); p != nil {
				done <- result{err: fmt.Errorf("handler panic: %v", p)}
			}
		}()
		out, err := s.h(ctx, raw)
		done <- result{out, err}
	})

	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: %w", route, ctx.Err())
	}
	if r.err != nil {
		return nil, fmt.Errorf("%s: %w", route, r.err)
	}
	var resp events.APIGatewayProxyResponse
	if out := bytes.TrimSpace(r.out); len(out) > 0 && !bytes.Equal(out, []byte("null")) {
		if err := json.Unmarshal(out, &resp); err != nil {
			return nil, fmt.Errorf("%s: malformed response: %w", route, err)
		}
	}
	return &resp, nil
}
