package router

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/livecast/sessions/session"
)

// pageEvent carries one page of a broadcast (or an ending) to the
// invocation that posts it. Lambda takes up to 256 KB per asynchronous
// event: a payload of at most 128 KB and up to 1,000 connection ids
// (BROADCAST_PAGE_SIZE's bound, about 20 KB) fit.
type pageEvent struct {
	Internal       string          `json:"sessionService"` // "broadcastPage"
	SessionID      string          `json:"sessionId"`
	TargetLanguage string          `json:"targetLanguage,omitempty"`
	ConnectionIDs  []string        `json:"connectionIds"`
	Payload        json.RawMessage `json:"payload"`
	Deadline       int64           `json:"deadline,omitempty"` // Unix ms; no post starts at or after it
	CloseAfter     bool            `json:"closeAfter,omitempty"`
}

// PageScheduler hands pages to other invocations through the Scheduler:
// an asynchronous self-invocation on AWS, a goroutine locally.
type PageScheduler struct {
	Scheduler Scheduler
	Now       func() time.Time // nil: time.Now
}

var _ session.PageScheduler = PageScheduler{}

// SchedulePage implements session.PageScheduler.
func (p PageScheduler) SchedulePage(ctx context.Context, pg session.Page) error {
	now := p.Now
	if now == nil {
		now = time.Now
	}
	ev := pageEvent{Internal: internalBroadcastPage, SessionID: pg.SessionID, TargetLanguage: pg.Language, ConnectionIDs: pg.ConnectionIDs, CloseAfter: pg.CloseAfter}
	if payload, ok := pg.Message.(session.Payload); ok {
		ev.Payload = payload.Data
	} else {
		// A domain message (an ending's sessionEnded) in its wire form, once
		// for the page rather than once per post.
		body, err := Encode(pg.Message, now())
		if err != nil {
			return err
		}
		ev.Payload = body
	}
	if !pg.Deadline.IsZero() {
		ev.Deadline = pg.Deadline.UnixMilli()
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode broadcast page: %w", err)
	}
	return p.Scheduler.Schedule(ctx, raw)
}

// broadcastPage posts a page. Its outcome is logged and counted, never an
// error: Lambda retries a failed asynchronous event, and a retried page
// would post twice to the listeners it had reached.
func (r *Router) broadcastPage(ctx context.Context, raw json.RawMessage, start time.Time) (json.RawMessage, error) {
	var ev pageEvent
	if err := json.Unmarshal(raw, &ev); err != nil || len(ev.Payload) == 0 {
		r.log.ErrorContext(ctx, "malformed broadcast page dropped", "operation", "broadcastPage")
		return r.respond(BroadcastResult{Refused: &BroadcastRefusal{Code: string(session.CodeInvalidParameters), Message: "malformed page"}})
	}
	pg := session.Page{SessionID: ev.SessionID, Language: ev.TargetLanguage, ConnectionIDs: ev.ConnectionIDs,
		Message: session.Payload{Data: ev.Payload}, CloseAfter: ev.CloseAfter}
	if ev.Deadline != 0 {
		pg.Deadline = time.UnixMilli(ev.Deadline)
	}
	res, err := r.svc.PostPage(ctx, pg)
	r.logOutcome(ctx, "broadcastPage", ev.SessionID, start, err, "listeners", len(ev.ConnectionIDs), "delivered", res.Delivered,
		"dropped", len(res.Gone), "failed", res.Failed, "stale", res.Stale, "throttled", res.Throttled)
	if err != nil {
		return r.respond(BroadcastResult{Refused: refusalOf(err)})
	}
	r.observeFanout(res)
	out := broadcastResult(res)
	out.Listeners = len(ev.ConnectionIDs)
	return r.respond(out)
}
