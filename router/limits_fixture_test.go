package router

import (
	"context"
	"encoding/json"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

// countingLimiter counts what reaches the domain's first step of every
// $connect and refuses it, so a test sees whether the router let it through
// without needing a database.
type countingLimiter struct {
	mu    sync.Mutex
	takes int
}

func (l *countingLimiter) Take(context.Context, string, string, []session.Limit, time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.takes++
	return &session.RateLimitedError{Limit: "test", RetryAfter: 1}
}

// The held-seat methods find nothing held: Take refuses first anyway.
func (l *countingLimiter) HoldSeat(context.Context, string, string, string, time.Time) error {
	return nil
}

func (l *countingLimiter) UnholdSeat(context.Context, string, string) error { return nil }

func (l *countingLimiter) HeldSeats(context.Context, string, string, time.Time) ([]time.Time, error) {
	return nil, nil
}

func (l *countingLimiter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.takes
}

// touchCountingStore counts heartbeats that reach storage. Any other
// connection method is nil and would panic: the tests here must reach none.
type touchCountingStore struct {
	session.Connections
	mu      sync.Mutex
	touches int
}

func (s *touchCountingStore) Touch(context.Context, string, string, time.Time, int) (session.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.touches++
	return session.Connection{}, session.ErrNotFound
}

func (s *touchCountingStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.touches
}

// recordingAPI keeps what the router posts to clients (its error replies).
type recordingAPI struct {
	ConnectionsAPI
	mu    sync.Mutex
	posts [][]byte
}

func (a *recordingAPI) PostToConnection(_ context.Context, in *apigatewaymanagementapi.PostToConnectionInput, _ ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.PostToConnectionOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.posts = append(a.posts, in.Data)
	return &apigatewaymanagementapi.PostToConnectionOutput{}, nil
}

func (a *recordingAPI) sent() [][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([][]byte(nil), a.posts...)
}

type limitsFixture struct {
	router  *Router
	limiter *countingLimiter
	store   *touchCountingStore
	api     *recordingAPI
}

func newLimitsFixture() *limitsFixture {
	fx := &limitsFixture{limiter: &countingLimiter{}, store: &touchCountingStore{}, api: &recordingAPI{}}
	messenger := NewMessenger(fx.api, nil)
	svc := session.New(session.Config{}, session.Deps{Connections: fx.store, Limiter: fx.limiter, Messenger: messenger})
	fx.router = New(Options{Service: svc, Messenger: messenger})
	return fx
}

// connect sends a $connect with the query as API Gateway decodes it and
// returns the proxy response.
func (fx *limitsFixture) connect(t *testing.T, rawQuery string) events.APIGatewayProxyResponse {
	t.Helper()
	ev := events.APIGatewayWebsocketProxyRequest{RequestContext: events.APIGatewayWebsocketProxyRequestContext{
		EventType: "CONNECT", RouteKey: RouteConnect, ConnectionID: "conn-1", RequestID: "req-1",
		Identity: events.APIGatewayRequestIdentity{SourceIP: "203.0.113.7"},
	}}
	q, err := url.ParseQuery(rawQuery)
	require.NoError(t, err)
	ev.MultiValueQueryStringParameters = q
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	out, err := fx.router.Handle(context.Background(), raw)
	require.NoError(t, err)
	var resp events.APIGatewayProxyResponse
	require.NoError(t, json.Unmarshal(out, &resp))
	return resp
}

// message sends a MESSAGE event on route with body.
func (fx *limitsFixture) message(t *testing.T, route, body string) {
	t.Helper()
	ev := events.APIGatewayWebsocketProxyRequest{Body: body, RequestContext: events.APIGatewayWebsocketProxyRequestContext{
		EventType: "MESSAGE", RouteKey: route, ConnectionID: "conn-1", RequestID: "req-2",
	}}
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	_, err = fx.router.Handle(context.Background(), raw)
	require.NoError(t, err)
}
