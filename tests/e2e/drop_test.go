package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// droppable is a client whose network can fail for real: drop resets its TCP
// connection (RST, no close frame), as when a phone changes network.
type droppable struct {
	*client
	mu  sync.Mutex
	raw net.Conn
}

// dialDroppable connects like dial but keeps the TCP connection underneath.
func (s *system) dialDroppable(t *testing.T, rawQuery string) *droppable {
	t.Helper()
	d, status, body := s.tryDialDroppable(t, rawQuery)
	require.NotNil(t, d, "upgrade refused with %d: %s", status, body)
	return d
}

// tryDialDroppable is tryDial for a droppable client.
func (s *system) tryDialDroppable(t *testing.T, rawQuery string) (*droppable, int, map[string]any) {
	d := &droppable{}
	transport := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		d.mu.Lock()
		d.raw = c
		d.mu.Unlock()
		return c, err
	}}
	t.Cleanup(transport.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, s.Gateway.URL()+"?"+rawQuery, &websocket.DialOptions{HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		if resp == nil {
			return nil, 0, map[string]any{"error": err.Error()}
		}
		var body map[string]any
		raw, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(raw, &body)
		return nil, resp.StatusCode, body
	}
	d.client = newClient(t, conn)
	return d, http.StatusSwitchingProtocols, nil
}

// drop resets the TCP connection without a WebSocket close frame.
func (d *droppable) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if tcp, ok := d.raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0) // close sends RST, not FIN
	}
	_ = d.raw.Close()
	<-d.client.closed
}
