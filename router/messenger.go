package router

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"

	"github.com/livecast/sessions/session"
)

// ConnectionsAPI is the part of the @connections management API we use.
type ConnectionsAPI interface {
	PostToConnection(ctx context.Context, in *apigatewaymanagementapi.PostToConnectionInput, opts ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.PostToConnectionOutput, error)
	DeleteConnection(ctx context.Context, in *apigatewaymanagementapi.DeleteConnectionInput, opts ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.DeleteConnectionOutput, error)
}

// Messenger delivers domain messages through @connections. One client is
// shared by every invocation (the original design built one per message).
type Messenger struct {
	api ConnectionsAPI
	now func() time.Time
}

var _ session.Messenger = (*Messenger)(nil)

// NewMessenger wraps a management API client; now nil means time.Now.
func NewMessenger(api ConnectionsAPI, now func() time.Time) *Messenger {
	if now == nil {
		now = time.Now
	}
	return &Messenger{api: api, now: now}
}

// Send encodes and posts one message. A direct reply to the action being
// handled (the context says which connection sent it, with which requestId)
// echoes that requestId.
func (m *Messenger) Send(ctx context.Context, connectionID string, msg session.Message) error {
	body, err := encodeReply(msg, m.now(), replyID(ctx, connectionID))
	if err != nil {
		return err
	}
	return m.post(ctx, connectionID, body)
}

func (m *Messenger) post(ctx context.Context, connectionID string, body []byte) error {
	countCall(ctx)
	_, err := m.api.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(connectionID), Data: body})
	return connectionError("post", err)
}

// Disconnect closes a connection from the service side.
func (m *Messenger) Disconnect(ctx context.Context, connectionID string) error {
	countCall(ctx)
	_, err := m.api.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(connectionID)})
	return connectionError("disconnect", err)
}

func connectionError(op string, err error) error {
	var gone *types.GoneException
	switch {
	case err == nil:
		return nil
	case errors.As(err, &gone):
		return fmt.Errorf("%s: %w", op, session.ErrConnectionGone)
	case isThrottle(err):
		return fmt.Errorf("%s: %w: %w", op, session.ErrThrottled, redactURL(err))
	default:
		return fmt.Errorf("%s: %w: %w", op, session.ErrUnavailable, redactURL(err))
	}
}

// redactURL drops the request URL from transport errors: it holds the
// connection id, which must never reach a log (docs/SPEC.md R19).
func redactURL(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return fmt.Errorf("%s @connections: %w", urlErr.Op, urlErr.Err)
	}
	return err
}
