package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/livecast/sessions/session"
)

// Limits of the broadcast event (docs/PROTOCOL.md, "The broadcast event").
const (
	// MaxBroadcastPayload is API Gateway's limit of one @connections POST
	// (128 KB): a larger payload could reach no one.
	MaxBroadcastPayload = 128 << 10
	// DefaultAudioMaxAge is the age after which audioData is dropped when
	// the event does not say: a second late is no longer live.
	DefaultAudioMaxAge = time.Second
	// maxMaxAge is Lambda's longest invocation: no post happens later.
	maxMaxAge = 15 * time.Minute
)

// BroadcastEvent is what the audio pipeline sends to fan a payload out to
// every listener of one language of a session.
type BroadcastEvent struct {
	Internal       string          `json:"sessionService"` // "broadcast"
	SessionID      string          `json:"sessionId"`
	TargetLanguage string          `json:"targetLanguage"`
	Payload        json.RawMessage `json:"payload"`
	// MaxAgeMs drops the payload for every listener not reached this long
	// after the event arrived. Absent: DefaultAudioMaxAge for audioData,
	// never for anything else.
	MaxAgeMs *int64 `json:"maxAgeMs,omitempty"`
}

// BroadcastResult is the broadcast's answer to the pipeline: data, never a
// function error, except for the service's own faults (SERVICE_UNAVAILABLE,
// INTERNAL_ERROR), which a retry may cure.
type BroadcastResult struct {
	Delivered int `json:"delivered"`
	Dropped   int `json:"dropped"` // answered 410: the listener is gone (its seat is held)
	Failed    int `json:"failed"`
	Stale     int `json:"stale"`     // not posted: older than maxAgeMs
	Throttled int `json:"throttled"` // 429 answers, retried or dropped
	// Listeners is the whole audience; delivered, dropped, failed and stale
	// count only the page this invocation posted (and pages no other
	// invocation took). The other pages report in their own invocations.
	Listeners      int               `json:"listeners"`
	PagesScheduled int               `json:"pagesScheduled"`
	Refused        *BroadcastRefusal `json:"refused,omitempty"`
}

// BroadcastRefusal says why a broadcast event was not carried out.
type BroadcastRefusal struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// NewBroadcastEvent builds the event that fans payload out (for callers and tests).
func NewBroadcastEvent(sessionID, lang string, payload json.RawMessage) ([]byte, error) {
	return json.Marshal(BroadcastEvent{Internal: internalBroadcast, SessionID: sessionID, TargetLanguage: lang, Payload: payload})
}

// NewBroadcastEventWithAge is NewBroadcastEvent with maxAgeMs set.
func NewBroadcastEventWithAge(sessionID, lang string, payload json.RawMessage, maxAge time.Duration) ([]byte, error) {
	ms := maxAge.Milliseconds()
	return json.Marshal(BroadcastEvent{Internal: internalBroadcast, SessionID: sessionID, TargetLanguage: lang, Payload: payload, MaxAgeMs: &ms})
}

func (r *Router) broadcast(ctx context.Context, raw json.RawMessage, start time.Time) (json.RawMessage, error) {
	var ev BroadcastEvent
	req, err := ev.request(raw)
	if err == nil {
		var res session.FanoutResult
		res, err = r.svc.BroadcastTo(ctx, req)
		r.logOutcome(ctx, "broadcast", ev.SessionID, start, err, "listeners", res.Listeners, "delivered", res.Delivered, "dropped", len(res.Gone),
			"failed", res.Failed, "stale", res.Stale, "throttled", res.Throttled, "pagesScheduled", res.PagesScheduled)
		if err == nil {
			r.observeFanout(res)
			return r.respond(broadcastResult(res))
		}
	} else {
		r.logOutcome(ctx, "broadcast", ev.SessionID, start, err)
	}
	if refusal := refusalOf(err); refusal != nil {
		return r.respond(BroadcastResult{Refused: refusal})
	}
	return nil, err
}

// request decodes and checks the event.
func (ev *BroadcastEvent) request(raw json.RawMessage) (session.BroadcastRequest, error) {
	if err := json.Unmarshal(raw, ev); err != nil {
		return session.BroadcastRequest{}, &session.Error{Code: session.CodeInvalidParameters, Message: "broadcast event must be a JSON object", Err: err}
	}
	if len(ev.Payload) == 0 || !json.Valid(ev.Payload) {
		return session.BroadcastRequest{}, &session.Error{Code: session.CodeInvalidParameters, Field: "payload", Message: "payload must be JSON"}
	}
	if len(ev.Payload) > MaxBroadcastPayload {
		return session.BroadcastRequest{}, &session.Error{Code: session.CodeInvalidParameters, Field: "payload",
			Message: fmt.Sprintf("payload must be at most %d bytes (one @connections POST)", MaxBroadcastPayload)}
	}
	var head struct {
		Type     string          `json:"type"`
		Sequence json.RawMessage `json:"sequence"`
	}
	_ = json.Unmarshal(ev.Payload, &head) // a payload that is not an object has no type
	req := session.BroadcastRequest{SessionID: ev.SessionID, Language: ev.TargetLanguage, Payload: session.Payload{Data: ev.Payload}}
	if head.Type == "audioData" {
		// Listeners restore order by sequence: audio without one cannot be placed.
		var seq int64
		if json.Unmarshal(head.Sequence, &seq) != nil {
			return session.BroadcastRequest{}, &session.Error{Code: session.CodeInvalidParameters, Field: "payload.sequence", Message: "audioData must carry an integer sequence"}
		}
		req.MaxAge = DefaultAudioMaxAge
	}
	if ev.MaxAgeMs != nil {
		age := time.Duration(*ev.MaxAgeMs) * time.Millisecond
		if *ev.MaxAgeMs < 1 || age > maxMaxAge {
			return session.BroadcastRequest{}, &session.Error{Code: session.CodeInvalidParameters, Field: "maxAgeMs", Message: "maxAgeMs must be from 1 to 900000"}
		}
		req.MaxAge = age
	}
	return req, nil
}

func broadcastResult(res session.FanoutResult) BroadcastResult {
	return BroadcastResult{Delivered: res.Delivered, Dropped: len(res.Gone), Failed: res.Failed, Stale: res.Stale, Throttled: res.Throttled,
		Listeners: res.Listeners, PagesScheduled: res.PagesScheduled}
}

// refusalOf is the refusal err stands for, or nil when err is the
// service's own fault (the invoker may retry those).
func refusalOf(err error) *BroadcastRefusal {
	var e *session.Error
	if !errors.As(err, &e) || e.Code == session.CodeInternal || e.Code == session.CodeServiceUnavailable {
		return nil
	}
	return &BroadcastRefusal{Code: string(e.Code), Message: e.Message, Field: e.Field}
}

// observeFanout publishes what a fan-out dropped for its age.
func (r *Router) observeFanout(res session.FanoutResult) {
	if res.Stale > 0 {
		r.metrics.count(MetricBroadcastStale, res.Stale, nil)
	}
}
