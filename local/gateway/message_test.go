package gateway

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMessageEvents(t *testing.T) {
	app := newFakeApp()
	s := startServer(t, app, Options{Routes: []string{"heartbeat", "changeLanguage"}})
	c := dial(t, s.URL())
	connect := app.wait(t, routeConnect, "", 1)[0].RequestContext

	bodies := []struct{ body, route string }{
		{`{"action":"heartbeat"}`, "heartbeat"},
		{`{"action":"changeLanguage","targetLanguage":"fr"}`, "changeLanguage"},
		{`{"action":"unknownThing"}`, "$default"},
		{`{"Action":"heartbeat"}`, "$default"},
		{`{"action":5}`, "$default"},
		{`not json`, "$default"},
		{`["heartbeat"]`, "$default"},
	}
	for _, b := range bodies {
		write(t, c, b.body)
	}
	evs := app.wait(t, "", connect.ConnectionID, len(bodies)+1)[1:]

	seen := map[any]bool{}
	for i, b := range bodies {
		rc := evs[i].RequestContext
		assert.Equal(t, b.route, rc.RouteKey, b.body)
		assert.Equal(t, "MESSAGE", rc.EventType)
		assert.Equal(t, b.body, evs[i].Body)
		assert.False(t, evs[i].IsBase64Encoded)
		assert.Equal(t, connect.ConnectedAt, rc.ConnectedAt)
		assert.Regexp(t, idPattern, rc.MessageID)
		assert.False(t, seen[rc.MessageID], "message ids are unique")
		seen[rc.MessageID] = true
	}

	t.Run("binary messages go to $default base64-encoded", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		require.NoError(t, c.Write(ctx, websocket.MessageBinary, []byte{0, 1, 0xff}))
		ev := app.wait(t, "", connect.ConnectionID, len(bodies)+2)[len(bodies)+1]
		assert.Equal(t, "$default", ev.RequestContext.RouteKey)
		assert.True(t, ev.IsBase64Encoded)
		assert.Equal(t, base64.StdEncoding.EncodeToString([]byte{0, 1, 0xff}), ev.Body)
	})
}

func TestMessagesOfOneConnectionRunInOrderOneAtATime(t *testing.T) {
	app := newFakeApp()
	var inFlight, maxInFlight atomic.Int32
	app.onEvent = func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (json.RawMessage, error) {
		if ev.RequestContext.EventType == "MESSAGE" {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
			}
			time.Sleep(2 * time.Millisecond)
		}
		return respond(200, ""), nil
	}
	s := startServer(t, app, Options{})
	c := dial(t, s.URL())
	id := app.connectID(t, 1)

	const n = 20
	for i := range n {
		write(t, c, fmt.Sprintf(`{"seq":%d}`, i))
	}
	evs := app.wait(t, routeDefault, id, n)
	for i, ev := range evs {
		assert.Equal(t, fmt.Sprintf(`{"seq":%d}`, i), ev.Body)
	}
	assert.Equal(t, int32(1), maxInFlight.Load())
}

func TestFailedMessageInvocationKeepsTheConnection(t *testing.T) {
	app := newFakeApp()
	app.onEvent = func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (json.RawMessage, error) {
		if ev.RequestContext.EventType == "MESSAGE" {
			return nil, errors.New("boom")
		}
		return respond(200, ""), nil
	}
	s := startServer(t, app, Options{})
	c := dial(t, s.URL())
	write(t, c, "one")
	write(t, c, "two")
	app.wait(t, routeDefault, "", 2)
	assert.Equal(t, 1, s.ConnectionCount())
	assert.Equal(t, 0, app.count(routeDisconnect, ""))
}
