package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIdleTimeout(t *testing.T) {
	t.Run("a silent client is closed with 1001", func(t *testing.T) {
		app := newFakeApp()
		s := startServer(t, app, Options{IdleTimeout: 100 * time.Millisecond})
		c := dial(t, s.URL())
		id := app.connectID(t, 1)

		start := time.Now()
		assert.Equal(t, websocket.StatusGoingAway, readClose(t, c))
		assert.GreaterOrEqual(t, time.Since(start), 80*time.Millisecond)
		rc := app.wait(t, routeDisconnect, id, 1)[0].RequestContext
		assert.Equal(t, int64(1001), rc.DisconnectStatusCode)
		require.NotNil(t, rc.DisconnectReason)
		assert.Equal(t, "Going away", *rc.DisconnectReason)
	})
	t.Run("client messages keep it open, server messages do not", func(t *testing.T) {
		app := newFakeApp()
		s := startServer(t, app, Options{IdleTimeout: 150 * time.Millisecond})
		c := dial(t, s.URL())
		id := app.connectID(t, 1)
		post := s.ManagementEndpoint() + "/@connections/" + id

		for range 6 { // 300 ms of client chatter
			write(t, c, "ping")
			time.Sleep(50 * time.Millisecond)
		}
		require.Equal(t, 1, s.ConnectionCount())

		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() { // server chatter only, until the test is done
			defer close(stopped)
			for {
				select {
				case <-stop:
					return
				case <-time.After(40 * time.Millisecond):
				}
				if resp, err := http.Post(post, "text/plain", strings.NewReader("tick")); err == nil {
					resp.Body.Close()
				}
			}
		}()
		assert.Equal(t, websocket.StatusGoingAway, readClose(t, c))
		close(stop)
		<-stopped
	})
}

func TestMaxDuration(t *testing.T) {
	app := newFakeApp()
	s := startServer(t, app, Options{MaxDuration: 200 * time.Millisecond})
	c := dial(t, s.URL())
	id := app.connectID(t, 1)
	done := make(chan struct{})
	go func() { // an active client is closed all the same
		defer close(done)
		for range 20 {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			err := c.Write(ctx, websocket.MessageText, []byte("hi"))
			cancel()
			if err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	assert.Equal(t, websocket.StatusGoingAway, readClose(t, c))
	<-done
	rc := app.wait(t, routeDisconnect, id, 1)[0].RequestContext
	assert.Equal(t, int64(1001), rc.DisconnectStatusCode, "the code chosen for the 2-hour limit (see closeGoingAway's comment)")
	require.NotNil(t, rc.DisconnectReason)
	assert.Equal(t, "Going away", *rc.DisconnectReason)
}

func TestFrameAndMessageLimits(t *testing.T) {
	tests := []struct {
		name      string
		send      func(t *testing.T, c *websocket.Conn)
		wantClose websocket.StatusCode // 0: stays open
		wantBody  int                  // routed body length when open
	}{
		{
			name:      "one 40 KB frame is over the frame limit",
			send:      func(t *testing.T, c *websocket.Conn) { write(t, c, strings.Repeat("x", 40<<10)) },
			wantClose: websocket.StatusMessageTooBig,
		},
		{
			name: "100 KB in four 25 KB frames is delivered",
			send: func(t *testing.T, c *websocket.Conn) {
				ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
				defer cancel()
				w, err := c.Writer(ctx, websocket.MessageText)
				require.NoError(t, err)
				for range 4 { // coder/websocket writes one frame per Write call
					_, err := w.Write([]byte(strings.Repeat("y", 25<<10)))
					require.NoError(t, err)
				}
				require.NoError(t, w.Close())
			},
			wantBody: 100 << 10,
		},
		{
			name: "200 KB in small frames is over the message limit",
			send: func(t *testing.T, c *websocket.Conn) {
				ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
				defer cancel()
				w, err := c.Writer(ctx, websocket.MessageText)
				require.NoError(t, err)
				for range 8 {
					if _, err := w.Write([]byte(strings.Repeat("z", 25<<10))); err != nil {
						return // the server may close before the last frames
					}
				}
				_ = w.Close()
			},
			wantClose: websocket.StatusMessageTooBig,
		},
		{
			name: "a 200 KB single frame is over both limits",
			send: func(t *testing.T, c *websocket.Conn) {
				_ = c.Write(context.Background(), websocket.MessageText, []byte(strings.Repeat("z", 200<<10)))
			},
			wantClose: websocket.StatusMessageTooBig,
		},
		{
			name: "a small message just before an oversized one is still routed",
			send: func(t *testing.T, c *websocket.Conn) {
				write(t, c, "small")
				write(t, c, strings.Repeat("x", 33<<10))
			},
			wantClose: websocket.StatusMessageTooBig,
			wantBody:  len("small"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newFakeApp()
			s := startServer(t, app, Options{})
			c := dial(t, s.URL())
			c.SetReadLimit(-1)
			id := app.connectID(t, 1)

			sent := make(chan struct{})
			go func() {
				defer close(sent)
				tt.send(t, c)
			}()
			defer func() { <-sent }()

			if tt.wantBody > 0 {
				assert.Len(t, app.wait(t, routeDefault, id, 1)[0].Body, tt.wantBody)
			}
			if tt.wantClose == 0 {
				assert.Equal(t, 1, s.ConnectionCount())
				return
			}
			assert.Equal(t, tt.wantClose, readClose(t, c))
			rc := app.wait(t, routeDisconnect, id, 1)[0].RequestContext
			assert.Equal(t, int64(1009), rc.DisconnectStatusCode)
			wantRouted := 0
			if tt.wantBody > 0 {
				wantRouted = 1
			}
			assert.Equal(t, wantRouted, app.count(routeDefault, id), "the oversized message is not routed")
		})
	}
}
