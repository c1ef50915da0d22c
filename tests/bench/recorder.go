package main

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"

	"github.com/livecast/sessions/local/gateway"
	"github.com/livecast/sessions/store"
)

// sample is one handler invocation as the gateway made it.
type sample struct {
	phase  string
	op     string
	dur    time.Duration
	calls  int64         // DynamoDB requests made inside this invocation
	db     time.Duration // time spent waiting for them
	byAPI  map[string]apiTime
	seq    []apiCall // the requests in the order they ended
	status int       // $connect status; 0 for other events
}

// apiTime is the DynamoDB requests of one API (Query, BatchWriteItem ...)
// inside an invocation.
type apiTime struct {
	N   int
	Dur time.Duration
}

// apiCall is one DynamoDB request of an invocation.
type apiCall struct {
	API string
	Dur time.Duration
}

// invocation collects the DynamoDB time of one invocation; requests from
// goroutines of the same invocation (fan-out) add up, so it is total wait,
// not wall time.
type invocation struct {
	mu    sync.Mutex
	db    time.Duration
	byAPI map[string]apiTime
	seq   []apiCall
}

type invocationKey struct{}

// dbTimer is a DynamoDB client option that adds each request's duration to
// the invocation its context belongs to, and counts in outside the requests
// made outside any gateway invocation (the sweep, scheduled welcomes).
func dbTimer(outside *atomic.Int64) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("benchTimeRequests",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					inv, ok := ctx.Value(invocationKey{}).(*invocation)
					if !ok {
						outside.Add(1)
						return next.HandleFinalize(ctx, in)
					}
					start := time.Now()
					out, md, err := next.HandleFinalize(ctx, in)
					d := time.Since(start)
					api := middleware.GetOperationName(ctx)
					inv.mu.Lock()
					inv.db += d
					a := inv.byAPI[api]
					a.N++
					a.Dur += d
					inv.byAPI[api] = a
					inv.seq = append(inv.seq, apiCall{api, d})
					inv.mu.Unlock()
					return out, md, err
				}), middleware.After)
		})
	}
}

// recorder times every invocation the gateway makes, inside the process, and
// counts the DynamoDB requests each one makes (store.CountInto). The scenario
// sets the phase; reports select samples by phase and operation.
type recorder struct {
	mu      sync.Mutex
	phase   string
	samples []sample
	roles   map[string]string // connection id → "speaker" | "listener", from its $connect
}

func newRecorder() *recorder { return &recorder{roles: map[string]string{}} }

func (r *recorder) setPhase(p string) {
	r.mu.Lock()
	r.phase = p
	r.mu.Unlock()
}

// event holds the fields that classify an API Gateway WebSocket event.
type event struct {
	RequestContext struct {
		EventType    string `json:"eventType"`
		RouteKey     string `json:"routeKey"`
		ConnectionID string `json:"connectionId"`
	} `json:"requestContext"`
	Query map[string]string `json:"queryStringParameters"`
}

// classify names the operation of an event; for $connect it also says which
// role the connection takes if admitted.
func (r *recorder) classify(ev event) (op, role string) {
	rc := ev.RequestContext
	switch rc.EventType {
	case "CONNECT":
		switch ev.Query["action"] {
		case "createSession":
			return "create", "speaker"
		case "joinSession":
			return "join", "listener"
		case "refreshConnection":
			return "refresh", ev.Query["role"]
		}
		return "connect_other", ""
	case "DISCONNECT":
		r.mu.Lock()
		role := r.roles[rc.ConnectionID]
		r.mu.Unlock()
		if role == "speaker" {
			return "speaker_leave", ""
		}
		return "leave", ""
	default:
		return rc.RouteKey, ""
	}
}

// wrap is the LocalOptions.WrapHandler: parsing happens outside the timed
// part, so the time is the product's alone.
func (r *recorder) wrap(h gateway.Handler) gateway.Handler {
	return func(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
		var ev event
		_ = json.Unmarshal(raw, &ev)
		op, role := r.classify(ev)
		r.mu.Lock()
		phase := r.phase
		r.mu.Unlock()

		rt := &store.RoundTrips{}
		inv := &invocation{byAPI: map[string]apiTime{}}
		ctx = context.WithValue(store.CountInto(ctx, rt), invocationKey{}, inv)
		start := time.Now()
		out, err := h(ctx, raw)
		dur := time.Since(start)

		inv.mu.Lock()
		s := sample{phase: phase, op: op, dur: dur, calls: rt.Count(), db: inv.db, byAPI: inv.byAPI, seq: inv.seq}
		inv.mu.Unlock()
		if ev.RequestContext.EventType == "CONNECT" {
			var resp struct {
				StatusCode int `json:"statusCode"`
			}
			_ = json.Unmarshal(out, &resp)
			s.status = resp.StatusCode
		}
		r.mu.Lock()
		r.samples = append(r.samples, s)
		if s.status == 200 && role != "" {
			r.roles[ev.RequestContext.ConnectionID] = role
		}
		r.mu.Unlock()
		return out, err
	}
}

// pick returns the samples of op recorded in phase (and, for $connect, with
// the given status; 0 means any).
func (r *recorder) pick(phase, op string, status int) []sample {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []sample
	for _, s := range r.samples {
		if s.phase == phase && s.op == op && (status == 0 || s.status == status) {
			out = append(out, s)
		}
	}
	return out
}

// stats summarises handler times and per-invocation request counts.
type stats struct {
	N            int
	P50, P95     time.Duration
	P99, Max     time.Duration
	HandlerCalls float64 // mean DynamoDB requests inside the invocation
	MaxCalls     int64
	DBShare      float64 // DynamoDB wait / handler time, over all samples
}

func summarize(ss []sample) stats {
	if len(ss) == 0 {
		return stats{}
	}
	durs := make([]time.Duration, len(ss))
	var calls int64
	var total, db time.Duration
	st := stats{N: len(ss)}
	for i, s := range ss {
		durs[i] = s.dur
		calls += s.calls
		st.MaxCalls = max(st.MaxCalls, s.calls)
		total += s.dur
		db += s.db
	}
	if total > 0 {
		st.DBShare = float64(db) / float64(total)
	}
	slices.Sort(durs)
	st.P50, st.P95, st.P99, st.Max = percentile(durs, 50), percentile(durs, 95), percentile(durs, 99), durs[len(durs)-1]
	st.HandlerCalls = float64(calls) / float64(len(ss))
	return st
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 · n)
	return sorted[max(rank, 1)-1]
}

// await waits until at least n samples of op were recorded in phase: an
// invocation is recorded when it returns, which may be after its effects
// are visible.
func (r *recorder) await(phase, op string, n int, timeout time.Duration) []sample {
	deadline := time.Now().Add(timeout)
	for {
		ss := r.pick(phase, op, 0)
		if len(ss) >= n || time.Now().After(deadline) {
			return ss
		}
		time.Sleep(20 * time.Millisecond)
	}
}
