package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDisconnectWhenTheClientLeaves(t *testing.T) {
	tests := []struct {
		name       string
		leave      func(c *websocket.Conn)
		wantCode   int64
		wantReason string
	}{
		{"a normal close reports 1000 and the reason", func(c *websocket.Conn) { _ = c.Close(websocket.StatusNormalClosure, "bye") }, 1000, "bye"},
		{"an application close code is passed on", func(c *websocket.Conn) { _ = c.Close(4001, "") }, 4001, ""},
		{"a dropped network reports 1006", func(c *websocket.Conn) { _ = c.CloseNow() }, 1006, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newFakeApp()
			s := startServer(t, app, Options{})
			c := dial(t, s.URL())
			id := app.connectID(t, 1)
			connectedAt := app.wait(t, routeConnect, "", 1)[0].RequestContext.ConnectedAt

			tt.leave(c)

			rc := app.wait(t, routeDisconnect, id, 1)[0].RequestContext
			assert.Equal(t, "DISCONNECT", rc.EventType)
			assert.Equal(t, tt.wantCode, rc.DisconnectStatusCode)
			require.NotNil(t, rc.DisconnectReason)
			assert.Equal(t, tt.wantReason, *rc.DisconnectReason)
			assert.Equal(t, connectedAt, rc.ConnectedAt)

			status, _, _ := manage(t, http.MethodPost, s.ManagementEndpoint()+"/@connections/"+id, "late")
			assert.Equal(t, http.StatusGone, status, "the id is gone after $disconnect")
			assert.Equal(t, 0, s.ConnectionCount())
			time.Sleep(20 * time.Millisecond)
			assert.Equal(t, 1, app.count(routeDisconnect, id), "$disconnect arrives once")
		})
	}
}

func TestDisconnectIsTheLastEvent(t *testing.T) {
	app := newFakeApp()
	app.onEvent = func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (json.RawMessage, error) {
		if ev.RequestContext.EventType == "MESSAGE" {
			time.Sleep(50 * time.Millisecond) // still busy when the client leaves
		}
		return respond(200, ""), nil
	}
	s := startServer(t, app, Options{})
	c := dial(t, s.URL())
	id := app.connectID(t, 1)
	write(t, c, "a")
	write(t, c, "b")
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))

	evs := app.wait(t, "", id, 4)
	routes := []string{}
	for _, ev := range evs {
		routes = append(routes, ev.RequestContext.RouteKey)
	}
	assert.Equal(t, []string{"$connect", "$default", "$default", "$disconnect"}, routes)
}

func TestDisconnectFailureIsOnlyLogged(t *testing.T) {
	app := newFakeApp()
	app.onEvent = func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (json.RawMessage, error) {
		if ev.RequestContext.EventType == "DISCONNECT" {
			panic("disconnect handler broke")
		}
		return respond(200, ""), nil
	}
	s := startServer(t, app, Options{})
	c := dial(t, s.URL())
	require.NoError(t, c.Close(websocket.StatusNormalClosure, ""))
	app.wait(t, routeDisconnect, "", 1)
	// The server keeps serving.
	dial(t, s.URL())
	app.wait(t, routeConnect, "", 2)
}
