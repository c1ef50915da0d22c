package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/livecast/sessions/session"
)

// Scheduler runs an internal event later, outside the current invocation:
// on AWS an asynchronous self-invocation, locally a goroutine.
type Scheduler interface {
	Schedule(ctx context.Context, event []byte) error
}

// SchedulerFunc adapts a function to Scheduler.
type SchedulerFunc func(ctx context.Context, event []byte) error

// Schedule calls f.
func (f SchedulerFunc) Schedule(ctx context.Context, event []byte) error { return f(ctx, event) }

// Router dispatches every event the function receives.
type Router struct {
	svc       *session.Service
	audio     *session.AudioIngress
	messenger *Messenger
	scheduler Scheduler
	metrics   *Metrics
	log       *slog.Logger
	now       func() time.Time
}

// Options are the router's collaborators.
type Options struct {
	Service   *session.Service
	Audio     *session.AudioIngress // nil: sendAudio is answered SERVICE_UNAVAILABLE
	Messenger *Messenger            // also used for error replies
	Scheduler Scheduler
	Metrics   *Metrics // nil: no metrics
	Logger    *slog.Logger
	Now       func() time.Time
}

// New builds a Router.
func New(o Options) *Router {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Router{svc: o.Service, audio: o.Audio, messenger: o.Messenger, scheduler: o.Scheduler, metrics: o.Metrics, log: o.Logger, now: o.Now}
}

// envelope holds the fields that tell event kinds apart. Deciding from them,
// rather than by trying strict unmarshals in turn, keeps one event from being
// mistaken for another.
type envelope struct {
	Type           string `json:"type"`
	MethodArn      string `json:"methodArn"`
	Internal       string `json:"sessionService"`
	Source         string `json:"source"`
	DetailType     string `json:"detail-type"`
	RequestContext *struct {
		EventType string `json:"eventType"`
		RouteKey  string `json:"routeKey"`
	} `json:"requestContext"`
}

// ErrUnknownEvent is returned for events no route handles.
var ErrUnknownEvent = errors.New("router: unknown event")

// Handle is the Lambda entry point: raw event in, raw response out. It is
// safe for concurrent use.
func (r *Router) Handle(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
	ctx, calls := withCallCounter(ctx)
	defer r.emitCalls(calls)
	kind, detail, err := classifyEvent(raw)
	if err != nil {
		return nil, err
	}
	switch kind {
	case kindAuthorizer:
		return r.authorize(ctx, raw)
	case kindWebSocket:
		return r.websocket(ctx, detail, raw)
	case kindScheduled:
		return r.sweep(ctx)
	default:
		return r.internal(ctx, detail, raw)
	}
}

// Kinds of event the function receives.
const (
	kindAuthorizer = "authorizer"
	kindWebSocket  = "websocket"
	kindInternal   = "internal"
	kindScheduled  = "scheduled"
)

// classifyEvent tells what raw is from its discriminating fields; detail is
// the WebSocket event type or the internal event name.
func classifyEvent(raw []byte) (kind, detail string, err error) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return "", "", fmt.Errorf("%w: not a JSON object: %w", ErrUnknownEvent, err)
	}
	switch {
	case env.Type == "REQUEST" && env.MethodArn != "":
		return kindAuthorizer, "", nil
	case env.RequestContext != nil && env.RequestContext.EventType != "":
		return kindWebSocket, env.RequestContext.EventType, nil
	case env.Internal != "":
		return kindInternal, env.Internal, nil
	case env.Source == "aws.events" && env.DetailType == "Scheduled Event":
		return kindScheduled, "", nil
	default:
		return "", "", fmt.Errorf("%w (source %q)", ErrUnknownEvent, env.Source)
	}
}

func (r *Router) respond(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("router: encode response: %w", err)
	}
	return b, nil
}
