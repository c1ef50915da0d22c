package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// waitLimit bounds every wait in these tests; nothing should come close.
const waitLimit = 5 * time.Second

// fakeApp is a stand-in product: it records every event and answers
// $connect with a configurable response.
type fakeApp struct {
	mu      sync.Mutex
	events  []events.APIGatewayWebsocketProxyRequest
	raws    []json.RawMessage
	changed chan struct{} // closed and replaced on every new event

	// onEvent, when set, answers instead of the default 200.
	onEvent func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (json.RawMessage, error)
}

func newFakeApp() *fakeApp {
	return &fakeApp{changed: make(chan struct{})}
}

func (a *fakeApp) handle(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
	var ev events.APIGatewayWebsocketProxyRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.events = append(a.events, ev)
	a.raws = append(a.raws, raw)
	close(a.changed)
	a.changed = make(chan struct{})
	a.mu.Unlock()
	if a.onEvent != nil {
		return a.onEvent(ctx, ev)
	}
	return json.RawMessage(`{"statusCode":200}`), nil
}

// matching returns the recorded events with route (any if "") for connID
// (any if ""), and a channel closed on the next new event.
func (a *fakeApp) matching(route, connID string) ([]events.APIGatewayWebsocketProxyRequest, []json.RawMessage, <-chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var evs []events.APIGatewayWebsocketProxyRequest
	var raws []json.RawMessage
	for i, ev := range a.events {
		if (route == "" || ev.RequestContext.RouteKey == route) && (connID == "" || ev.RequestContext.ConnectionID == connID) {
			evs = append(evs, ev)
			raws = append(raws, a.raws[i])
		}
	}
	return evs, raws, a.changed
}

// wait returns the first n matching events once they have all arrived.
func (a *fakeApp) wait(t *testing.T, route, connID string, n int) []events.APIGatewayWebsocketProxyRequest {
	t.Helper()
	evs, _ := a.waitRaw(t, route, connID, n)
	return evs
}

func (a *fakeApp) waitRaw(t *testing.T, route, connID string, n int) ([]events.APIGatewayWebsocketProxyRequest, []json.RawMessage) {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		evs, raws, changed := a.matching(route, connID)
		if len(evs) >= n {
			return evs[:n], raws[:n]
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("waited for %d %q events of %q, have %d", n, route, connID, len(evs))
		}
	}
}

// count reports matching events now, without waiting.
func (a *fakeApp) count(route, connID string) int {
	evs, _, _ := a.matching(route, connID)
	return len(evs)
}

// connectID waits for the n-th $connect and returns its connection id.
func (a *fakeApp) connectID(t *testing.T, n int) string {
	t.Helper()
	return a.wait(t, routeConnect, "", n)[n-1].RequestContext.ConnectionID
}

func startServer(t *testing.T, app *fakeApp, opts Options) *Server {
	t.Helper()
	s, err := New(app.handle, opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, s.Close())
	})
	return s
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, err := dialErr(t, url, nil)
	require.NoError(t, err)
	return c
}

func dialErr(t *testing.T, url string, opts *websocket.DialOptions) (*websocket.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, opts)
	if err == nil {
		t.Cleanup(func() { _ = c.CloseNow() })
	}
	return c, err
}

// readClose reads until the connection ends and returns the close status.
func readClose(t *testing.T, c *websocket.Conn) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			require.NoError(t, ctx.Err(), "connection not closed in time")
			return websocket.CloseStatus(err)
		}
	}
}

func readText(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	typ, data, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, websocket.MessageText, typ)
	return string(data)
}

func write(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(msg)))
}

// manage sends a raw @connections request and returns status and body.
func manage(t *testing.T, method, url, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

func respond(status int, body string) json.RawMessage {
	b, _ := json.Marshal(events.APIGatewayProxyResponse{StatusCode: status, Body: body})
	return b
}

// fixedClock is a replaceable clock for timestamp assertions.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }
