package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{15}=$`)

func TestConnectEvent(t *testing.T) {
	at := time.Date(2024, 1, 20, 11, 55, 8, 419e6, time.UTC)
	app := newFakeApp()
	s := startServer(t, app, Options{Stage: "dev", Now: fixedClock(at)})

	dial(t, s.URL()+"?action=joinSession&sessionId=a&sessionId=b&targetLanguage=es&empty=&flag")

	evs, raws := app.waitRaw(t, routeConnect, "", 1)
	ev, rc := evs[0], evs[0].RequestContext
	host := strings.TrimPrefix(s.HTTPURL(), "http://")

	t.Run("the request context is the one API Gateway sends", func(t *testing.T) {
		assert.Equal(t, "$connect", rc.RouteKey)
		assert.Equal(t, "CONNECT", rc.EventType)
		assert.Regexp(t, idPattern, rc.ConnectionID)
		assert.Equal(t, "dev", rc.Stage)
		assert.Equal(t, host, rc.DomainName)
		assert.Equal(t, "local", rc.APIID)
		assert.Equal(t, at.UnixMilli(), rc.ConnectedAt)
		assert.Equal(t, at.UnixMilli(), rc.RequestTimeEpoch)
		assert.Equal(t, "20/Jan/2024:11:55:08 +0000", rc.RequestTime)
		assert.Regexp(t, idPattern, rc.RequestID)
		assert.Equal(t, rc.RequestID, rc.ExtendedRequestID)
		assert.Equal(t, "IN", rc.MessageDirection)
		assert.Equal(t, "127.0.0.1", rc.Identity.SourceIP)
		assert.Equal(t, "Go-http-client/1.1", rc.Identity.UserAgent)
		assert.Nil(t, rc.MessageID)
	})
	t.Run("query parameters keep the last value and all values", func(t *testing.T) {
		assert.Equal(t, map[string]string{
			"action": "joinSession", "sessionId": "b", "targetLanguage": "es", "empty": "", "flag": "",
		}, ev.QueryStringParameters)
		assert.Equal(t, []string{"a", "b"}, ev.MultiValueQueryStringParameters["sessionId"])
		assert.Equal(t, []string{""}, ev.MultiValueQueryStringParameters["flag"])
	})
	t.Run("headers include Host and the forwarding headers", func(t *testing.T) {
		assert.Equal(t, host, ev.Headers["Host"])
		assert.Equal(t, "13", ev.Headers["Sec-Websocket-Version"])
		assert.Equal(t, "127.0.0.1", ev.Headers["X-Forwarded-For"])
		assert.Equal(t, "http", ev.Headers["X-Forwarded-Proto"])
		assert.Equal(t, []string{host}, ev.MultiValueHeaders["Host"])
		assert.NotEmpty(t, ev.Headers["X-Forwarded-Port"])
	})
	t.Run("the raw JSON has the AWS field names and no body", func(t *testing.T) {
		var m map[string]any
		require.NoError(t, json.Unmarshal(raws[0], &m))
		assert.Equal(t, false, m["isBase64Encoded"])
		assert.NotContains(t, m, "body")
		rcm := m["requestContext"].(map[string]any)
		for _, k := range []string{"routeKey", "eventType", "extendedRequestId", "requestTime", "messageDirection",
			"stage", "connectedAt", "requestTimeEpoch", "identity", "requestId", "domainName", "connectionId", "apiId"} {
			assert.Contains(t, rcm, k)
		}
	})
}

func TestConnectAcceptsAnyPath(t *testing.T) {
	app := newFakeApp()
	s := startServer(t, app, Options{})
	base := "ws" + strings.TrimPrefix(s.HTTPURL(), "http")
	for i, path := range []string{"/", "", "/prod", "/some/deeper/path?x=1"} {
		dial(t, base+path)
		assert.Equal(t, "local", app.wait(t, routeConnect, "", i+1)[i].RequestContext.Stage, path)
	}
	assert.Eventually(t, func() bool { return s.ConnectionCount() == 4 }, waitLimit, 5*time.Millisecond)
}

func TestConnectRefused(t *testing.T) {
	tests := []struct {
		name       string
		answer     func(ctx context.Context) (json.RawMessage, error)
		wantStatus int
		wantBody   string
	}{
		{
			name: "a 4xx answer refuses with its status and body verbatim",
			answer: func(context.Context) (json.RawMessage, error) {
				return respond(401, `{"type":"error","code":"UNAUTHORIZED"}`), nil
			},
			wantStatus: 401,
			wantBody:   `{"type":"error","code":"UNAUTHORIZED"}`,
		},
		{
			name:       "a 5xx answer refuses with its status",
			answer:     func(context.Context) (json.RawMessage, error) { return respond(503, `{"code":"SESSION_FULL"}`), nil },
			wantStatus: 503,
			wantBody:   `{"code":"SESSION_FULL"}`,
		},
		{
			name:       "a handler error is an internal server error",
			answer:     func(context.Context) (json.RawMessage, error) { return nil, errors.New("boom") },
			wantStatus: 500,
			wantBody:   `{"message":"Internal server error"}`,
		},
		{
			name: "a handler timeout is an internal server error",
			answer: func(ctx context.Context) (json.RawMessage, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			},
			wantStatus: 500,
			wantBody:   `{"message":"Internal server error"}`,
		},
		{
			name:       "a response without a status code is an internal server error",
			answer:     func(context.Context) (json.RawMessage, error) { return json.RawMessage(`null`), nil },
			wantStatus: 500,
			wantBody:   `{"message":"Internal server error"}`,
		},
		{
			name:       "a malformed response is an internal server error",
			answer:     func(context.Context) (json.RawMessage, error) { return json.RawMessage(`[1]`), nil },
			wantStatus: 500,
			wantBody:   `{"message":"Internal server error"}`,
		},
		{
			name:       "a handler panic is an internal server error",
			answer:     func(context.Context) (json.RawMessage, error) { panic("bad") },
			wantStatus: 500,
			wantBody:   `{"message":"Internal server error"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newFakeApp()
			app.onEvent = func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (json.RawMessage, error) {
				if ev.RequestContext.RouteKey == routeConnect {
					return tt.answer(ctx)
				}
				return nil, nil
			}
			s := startServer(t, app, Options{HandlerTimeout: 100 * time.Millisecond})

			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			defer cancel()
			_, resp, err := websocket.Dial(ctx, s.URL(), nil)
			require.Error(t, err)
			require.NotNil(t, resp)
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tt.wantBody, string(body))
			assert.Equal(t, 0, s.ConnectionCount())
			assert.Equal(t, 0, app.count(routeDisconnect, ""), "a refused connection never existed")
		})
	}
}

func TestConnectionInvisibleDuringConnect(t *testing.T) {
	app := newFakeApp()
	var server atomic.Pointer[Server] // set before the first dial
	during := make(chan int, 1)
	app.onEvent = func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (json.RawMessage, error) {
		if ev.RequestContext.RouteKey == routeConnect {
			status, _, _ := manage(t, http.MethodPost, server.Load().ManagementEndpoint()+"/@connections/"+ev.RequestContext.ConnectionID, "early")
			during <- status
		}
		return respond(200, ""), nil
	}
	s := startServer(t, app, Options{})
	server.Store(s)

	c := dial(t, s.URL())
	assert.Equal(t, http.StatusGone, <-during, "posts while $connect runs are refused")

	id := app.connectID(t, 1)
	status, _, _ := manage(t, http.MethodPost, s.ManagementEndpoint()+"/@connections/"+id, "welcome")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "welcome", readText(t, c), "the first message is the one posted after the upgrade")
}

func TestConnectSubprotocolChosenByConnectResponse(t *testing.T) {
	app := newFakeApp()
	app.onEvent = func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (json.RawMessage, error) {
		b, _ := json.Marshal(events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Sec-WebSocket-Protocol": "v1"}})
		return b, nil
	}
	s := startServer(t, app, Options{})
	c, err := dialErr(t, s.URL(), &websocket.DialOptions{Subprotocols: []string{"v1"}})
	require.NoError(t, err)
	assert.Equal(t, "v1", c.Subprotocol())
}

func TestPlainHTTP(t *testing.T) {
	app := newFakeApp()
	t.Run("goes to Extra when set", func(t *testing.T) {
		extra := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "jwks at "+r.URL.Path) })
		s := startServer(t, app, Options{Extra: extra})
		status, _, body := manage(t, http.MethodGet, s.HTTPURL()+"/.well-known/jwks.json", "")
		assert.Equal(t, 200, status)
		assert.Equal(t, "jwks at /.well-known/jwks.json", body)
	})
	t.Run("asks for an upgrade without Extra", func(t *testing.T) {
		s := startServer(t, app, Options{})
		status, _, _ := manage(t, http.MethodGet, s.HTTPURL()+"/local", "")
		assert.Equal(t, http.StatusUpgradeRequired, status)
	})
	t.Run("a malformed handshake is refused before $connect", func(t *testing.T) {
		s := startServer(t, app, Options{})
		req, _ := http.NewRequest(http.MethodGet, s.HTTPURL()+"/local", nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", "websocket")
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", base64.StdEncoding.EncodeToString([]byte("short")))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	})
	assert.Equal(t, 0, app.count(routeConnect, ""))
}
