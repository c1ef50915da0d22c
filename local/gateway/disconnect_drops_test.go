package gateway

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// closePayload is a close frame's body: the code, then the reason.
func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// resetOnClose makes Close send a TCP RST instead of a FIN, as a phone that
// changes network or a crashed client does.
func resetOnClose(t *testing.T, conn net.Conn) {
	t.Helper()
	tcp, ok := conn.(*net.TCPConn)
	require.True(t, ok, "a TCP connection")
	require.NoError(t, tcp.SetLinger(0))
}

// The clients here are raw TCP connections, so what reaches the server is
// exactly what the test wrote: a close frame or none, a FIN or an RST.
func TestDisconnectStatusOfRealConnections(t *testing.T) {
	tests := []struct {
		name       string
		leave      func(t *testing.T, conn net.Conn)
		wantCode   int64
		wantReason string
	}{
		{
			name:     "a client that closes its socket without a close frame reports 1006",
			leave:    func(t *testing.T, conn net.Conn) { require.NoError(t, conn.Close()) },
			wantCode: 1006,
		},
		{
			name: "a client whose connection is reset reports 1006",
			leave: func(t *testing.T, conn net.Conn) {
				resetOnClose(t, conn)
				require.NoError(t, conn.Close())
			},
			wantCode: 1006,
		},
		{
			name: "a reset in the middle of a message reports 1006",
			leave: func(t *testing.T, conn net.Conn) {
				frame := clientFrame(true, 1, make([]byte, 1000))
				_, err := conn.Write(frame[:100])
				require.NoError(t, err)
				resetOnClose(t, conn)
				require.NoError(t, conn.Close())
			},
			wantCode: 1006,
		},
		{
			name: "a close frame with 1000 reports 1000 and its reason, though the client leaves at once",
			leave: func(t *testing.T, conn net.Conn) {
				_, err := conn.Write(clientFrame(true, 8, closePayload(1000, "done")))
				require.NoError(t, err)
				require.NoError(t, conn.Close())
			},
			wantCode: 1000, wantReason: "done",
		},
		{
			name: "a close frame with 1001 reports 1001",
			leave: func(t *testing.T, conn net.Conn) {
				_, err := conn.Write(clientFrame(true, 8, closePayload(1001, "")))
				require.NoError(t, err)
				require.NoError(t, conn.Close())
			},
			wantCode: 1001,
		},
		{
			name: "a close frame with an application code reports that code",
			leave: func(t *testing.T, conn net.Conn) {
				_, err := conn.Write(clientFrame(true, 8, closePayload(4000, "switching network")))
				require.NoError(t, err)
				require.NoError(t, conn.Close())
			},
			wantCode: 4000, wantReason: "switching network",
		},
		{
			name: "a close frame without a code reports 1005",
			leave: func(t *testing.T, conn net.Conn) {
				_, err := conn.Write(clientFrame(true, 8, nil))
				require.NoError(t, err)
				require.NoError(t, conn.Close())
			},
			wantCode: 1005,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newFakeApp()
			s := startServer(t, app, Options{})
			conn, _ := rawUpgrade(t, s)
			id := app.connectID(t, 1)

			tt.leave(t, conn)

			rc := app.wait(t, routeDisconnect, id, 1)[0].RequestContext
			assert.Equal(t, tt.wantCode, rc.DisconnectStatusCode)
			require.NotNil(t, rc.DisconnectReason)
			assert.Equal(t, tt.wantReason, *rc.DisconnectReason)
			assert.Equal(t, 0, app.count(routeDefault, id), "nothing was routed")
			require.NoError(t, s.Close())
			assert.Equal(t, 1, app.count(routeDisconnect, id), "$disconnect arrives once")
		})
	}
}

func TestResetDuringAMessageStillEndsWithDisconnect(t *testing.T) {
	app := newFakeApp()
	app.onEvent = func(ctx context.Context, ev events.APIGatewayWebsocketProxyRequest) (json.RawMessage, error) {
		if ev.RequestContext.EventType == "MESSAGE" {
			time.Sleep(50 * time.Millisecond) // still busy when the reset arrives
		}
		return respond(200, ""), nil
	}
	s := startServer(t, app, Options{})
	conn, _ := rawUpgrade(t, s, clientFrame(true, 1, []byte(`{"action":"heartbeat"}`)))
	id := app.connectID(t, 1)
	app.wait(t, routeDefault, id, 1)
	resetOnClose(t, conn)
	require.NoError(t, conn.Close())

	evs := app.wait(t, "", id, 3)
	assert.Equal(t, routeDisconnect, evs[2].RequestContext.RouteKey, "$disconnect comes after the message it interrupted")
	assert.Equal(t, int64(1006), evs[2].RequestContext.DisconnectStatusCode)
}
