package router

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/stretchr/testify/assert"
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

func (l *countingLimiter) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.takes
}

// touchCountingStore counts heartbeats that reach storage. Any other store
// method is nil and would panic: the tests here must reach none.
type touchCountingStore struct {
	session.Store
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
	svc := session.New(session.Config{}, session.Deps{Store: fx.store, Limiter: fx.limiter, Messenger: messenger})
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

type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details struct {
		Field string `json:"field"`
	} `json:"details"`
}

// paddedQuery is a createSession query (valid, so only the limiter stops it)
// padded to exactly size bytes as checkQuery counts them, in params pairs.
func paddedQuery(t *testing.T, params, size int) string {
	t.Helper()
	pairs := []string{"action=createSession", "sourceLanguage=en", "qualityTier=standard"}
	used := 0
	for _, p := range pairs {
		used += len(p) + 1
	}
	for i := len(pairs); i < params-1; i++ {
		p := "p" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "="
		pairs = append(pairs, p)
		used += len(p) + 1
	}
	last := "pad="
	require.LessOrEqual(t, used+len(last)+1, size)
	pairs = append(pairs, last+strings.Repeat("x", size-used-len(last)-1))
	return strings.Join(pairs, "&")
}

func TestConnectQueryLimits(t *testing.T) {
	tests := []struct {
		name      string
		query     string
		wantField string // "": reaches the domain
	}{
		{"a query of 4096 bytes in 32 parameters reaches the domain", paddedQuery(t, 32, 4096), ""},
		{"a query one byte over 4096 is refused", paddedQuery(t, 32, 4097), "query"},
		{"a 33rd parameter is refused", paddedQuery(t, 33, 400), "query"},
		{"one 100 KB unknown parameter is refused", "action=createSession&sourceLanguage=en&qualityTier=standard&x=" + strings.Repeat("y", 100<<10), "query"},
		{"2,000 parameters are refused", "action=createSession&sourceLanguage=en&qualityTier=standard" + strings.Repeat("&a", 2000), "query"},
		{"a repeated parameter counts every value", "action=createSession&sourceLanguage=en&qualityTier=standard" + strings.Repeat("&a=1", 30), "query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newLimitsFixture()
			resp := fx.connect(t, tt.query)
			if tt.wantField == "" {
				assert.Equal(t, 1, fx.limiter.count(), "the domain saw it")
				assert.Equal(t, 429, resp.StatusCode, "the test limiter's refusal")
				return
			}
			assert.Equal(t, 400, resp.StatusCode)
			var e wireError
			require.NoError(t, json.Unmarshal([]byte(resp.Body), &e))
			assert.Equal(t, "INVALID_PARAMETERS", e.Code)
			assert.Equal(t, tt.wantField, e.Details.Field)
			assert.NotEmpty(t, e.Message)
			assert.Equal(t, 0, fx.limiter.count(), "refused before the domain counted or stored anything")
		})
	}
}

func TestMessageBodyMustBeUTF8(t *testing.T) {
	tests := []struct {
		name, route, body string
		wantReached       bool
	}{
		{"a valid heartbeat reaches the domain", RouteHeartbeat, `{"action":"heartbeat"}`, true},
		{"invalid bytes are refused", RouteHeartbeat, "{\"action\":\"heartbeat\",\"x\":\"\xff\"}", false},
		{"bytes already repaired to U+FFFD are refused", RouteHeartbeat, "{\"action\":\"heartbeat\",\"x\":\"\uFFFD\"}", false},
		{"an escaped U+FFFD is plain ASCII and reaches the domain", RouteHeartbeat, `{"action":"heartbeat","x":"\ufffd"}`, true},
		{"invalid bytes on $default are refused as text before the action", RouteDefault, "\xc3\x28", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newLimitsFixture()
			fx.message(t, tt.route, tt.body)
			posts := fx.api.sent()
			require.Len(t, posts, 1, "one error reply")
			var e wireError
			require.NoError(t, json.Unmarshal(posts[0], &e))
			if tt.wantReached {
				assert.Equal(t, 1, fx.store.count())
				assert.NotEqual(t, "INVALID_PARAMETERS", e.Code, "refused by the domain (unknown connection), not for its text")
				return
			}
			assert.Equal(t, 0, fx.store.count(), "nothing acted on")
			assert.Equal(t, "INVALID_PARAMETERS", e.Code)
			assert.Equal(t, "Message is not valid UTF-8 text", e.Message)
		})
	}
}

// Any decoded query: within both caps it passes, otherwise it is refused
// with INVALID_PARAMETERS naming the query.
func FuzzConnectQuery(f *testing.F) {
	for _, seed := range []string{
		"", "action=createSession&sourceLanguage=en&qualityTier=standard", "a", "a&a&a", "=x", "x=" + strings.Repeat("y", 5000),
		strings.Repeat("k=v&", 40), strings.Repeat("a&", 2000), "token=" + strings.Repeat("t", 4090), "%ff=%fe", "a=1;b=2",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // API Gateway passes what it could decode
		size, count := 0, 0
		for k, vs := range q {
			for _, v := range vs {
				size += len(k) + len(v) + 2
				count++
			}
		}
		err := checkQuery(q)
		if size <= maxQueryBytes && count <= maxQueryParameters {
			assert.NoError(t, err)
			return
		}
		var e *session.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, session.CodeInvalidParameters, e.Code)
		assert.Equal(t, "query", e.Field)
	})
}

// Any body: UTF-8 text without U+FFFD goes on to decoding; anything else is
// INVALID_PARAMETERS and no heartbeat reaches storage.
func FuzzMessageText(f *testing.F) {
	for _, seed := range []string{
		`{"action":"heartbeat"}`, "", "café", "\xff", "{\"action\":\"\xff\"}", "\xc3\x28", "\uFFFD", `"\ufffd"`,
		"\xed\xa0\x80", "\xf4\x90\x80\x80", "a\x00b",
	} {
		f.Add(seed)
	}
	fx := newLimitsFixture()
	f.Fuzz(func(t *testing.T, body string) {
		before := fx.store.count()
		err := fx.router.dispatchMessage(context.Background(), RouteHeartbeat, "conn-1", "req-3", body)
		text := utf8.ValidString(body) && !strings.ContainsRune(body, utf8.RuneError)
		if text {
			assert.NotEqual(t, "Message is not valid UTF-8 text", messageOf(err))
			return
		}
		var e *session.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, session.CodeInvalidParameters, e.Code)
		assert.Equal(t, before, fx.store.count(), "nothing acted on")
	})
}

func messageOf(err error) string {
	var e *session.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}
