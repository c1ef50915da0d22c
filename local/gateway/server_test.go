package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewDefaults(t *testing.T) {
	s := startServer(t, newFakeApp(), Options{})
	assert.True(t, strings.HasPrefix(s.URL(), "ws://127.0.0.1:"), s.URL())
	assert.True(t, strings.HasSuffix(s.URL(), "/local"), s.URL())
	assert.Equal(t, strings.Replace(s.URL(), "ws://", "http://", 1), s.ManagementEndpoint())
	assert.Equal(t, strings.TrimSuffix(s.ManagementEndpoint(), "/local"), s.HTTPURL())
	assert.Equal(t, 0, s.ConnectionCount())
}

func TestNewRejectsBadOptions(t *testing.T) {
	h := newFakeApp().handle
	for name, opts := range map[string]Options{
		"a reserved route key":  {Routes: []string{"$connect"}},
		"an empty route key":    {Routes: []string{""}},
		"a stage with a slash":  {Stage: "a/b"},
		"a negative limit":      {FrameLimit: -1},
		"an unusable address":   {Addr: "256.0.0.1:0"},
		"a negative idle limit": {IdleTimeout: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(h, opts)
			assert.Error(t, err)
		})
	}
	_, err := New(nil, Options{})
	assert.Error(t, err, "a nil handler")
}

func TestClose(t *testing.T) {
	app := newFakeApp()
	s, err := New(app.handle, Options{})
	require.NoError(t, err)

	clients := make([]*websocket.Conn, 3)
	for i := range clients {
		clients[i] = dial(t, s.URL())
	}
	app.wait(t, routeConnect, "", 3)
	require.Eventually(t, func() bool { return s.ConnectionCount() == 3 }, waitLimit, 5*time.Millisecond)

	codes := make(chan websocket.StatusCode, len(clients))
	for _, c := range clients {
		go func() { codes <- readClose(t, c) }()
	}
	start := time.Now()
	require.NoError(t, s.Close())
	assert.Less(t, time.Since(start), 3*time.Second)

	for range clients {
		assert.Equal(t, websocket.StatusGoingAway, <-codes)
	}
	assert.Equal(t, 3, app.count(routeDisconnect, ""), "every connection hears $disconnect")
	assert.Equal(t, 0, s.ConnectionCount())
	require.NoError(t, s.Close(), "Close is idempotent")

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _, err = websocket.Dial(ctx, s.URL(), nil)
	assert.Error(t, err, "no longer listening")
	_, err = http.Get(s.HTTPURL())
	assert.Error(t, err)
}

func TestCloseWithASilentClient(t *testing.T) {
	// A client that never reads cannot answer the close handshake; Close
	// still returns (coder/websocket gives up on the handshake after 5 s).
	app := newFakeApp()
	s, err := New(app.handle, Options{})
	require.NoError(t, err)
	dial(t, s.URL())
	app.wait(t, routeConnect, "", 1)
	require.Eventually(t, func() bool { return s.ConnectionCount() == 1 }, waitLimit, 5*time.Millisecond)
	start := time.Now()
	require.NoError(t, s.Close())
	assert.Less(t, time.Since(start), closeGrace)
	assert.Equal(t, 1, app.count(routeDisconnect, ""))
}

func TestCloseDuringConnect(t *testing.T) {
	app := newFakeApp()
	app.onEvent = func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (json.RawMessage, error) {
		if ev.RequestContext.RouteKey == routeConnect {
			<-ctx.Done() // a slow $connect that honours its context
			return nil, ctx.Err()
		}
		return respond(200, ""), nil
	}
	s, err := New(app.handle, Options{})
	require.NoError(t, err)

	dialed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		_, _, err := websocket.Dial(ctx, s.URL(), nil)
		dialed <- err
	}()
	app.wait(t, routeConnect, "", 1)

	start := time.Now()
	require.NoError(t, s.Close())
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Error(t, <-dialed)
	assert.Equal(t, 0, app.count(routeDisconnect, ""), "a connection that never opened gets no $disconnect")
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	app := newFakeApp()
	s, err := New(app.handle, Options{})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, _, err := websocket.Dial(ctx, s.URL(), nil)
	require.NoError(t, err)
	id := app.connectID(t, 1)
	write(t, c, `{"action":"x"}`)
	status, _, _ := manage(t, http.MethodGet, s.ManagementEndpoint()+"/@connections/"+id, "")
	require.Equal(t, http.StatusOK, status)
	app.wait(t, routeDefault, id, 1)

	closed := make(chan struct{})
	go func() { // the client answers the close handshake
		defer close(closed)
		_, _, _ = c.Read(ctx)
	}()
	require.NoError(t, s.Close())
	<-closed
	http.DefaultClient.CloseIdleConnections()
	// Polled here, not with assert.Eventually: that runs its condition in a
	// goroutine of its own, which would be counted.
	deadline := time.Now().Add(waitLimit)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
