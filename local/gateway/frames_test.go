package gateway

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientFrame encodes a masked client frame, as a browser would send it.
func clientFrame(fin bool, opcode byte, payload []byte) []byte {
	b0 := opcode
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, 0x80|byte(n))
	case n <= 0xffff:
		out = append(out, 0x80|126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, 0x80|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	key := []byte{1, 2, 3, 4}
	out = append(out, key...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

func TestFrameWatcher(t *testing.T) {
	const limit = 1000
	small, big := make([]byte, 200), make([]byte, 70000)
	tests := []struct {
		name   string
		frames [][]byte
		want   uint64 // first oversized message, 0: none
	}{
		{"small messages pass", [][]byte{clientFrame(true, 1, small), clientFrame(true, 2, small)}, 0},
		{"a frame at the limit passes", [][]byte{clientFrame(true, 1, make([]byte, limit))}, 0},
		{"a 16-bit length over the limit is caught", [][]byte{clientFrame(true, 1, small), clientFrame(true, 1, make([]byte, limit+1))}, 2},
		{"a 64-bit length is caught", [][]byte{clientFrame(true, 2, big)}, 1},
		{"control frames count toward no message", [][]byte{
			clientFrame(true, 9, []byte("ping")), clientFrame(true, 1, small), clientFrame(true, 10, nil), clientFrame(true, 1, big),
		}, 2},
		{"an oversized continuation belongs to its message", [][]byte{
			clientFrame(true, 1, small), clientFrame(false, 1, small), clientFrame(false, 0, small), clientFrame(true, 0, big),
		}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stream []byte
			for _, f := range tt.frames {
				stream = append(stream, f...)
			}
			// However the bytes are split into reads, the answer is the same.
			for _, chunk := range []int{1, 2, 3, 7, 13, 4096, len(stream)} {
				w := newFrameWatcher(limit)
				for p := stream; len(p) > 0; {
					n := min(chunk, len(p))
					w.observe(p[:n])
					p = p[n:]
				}
				assert.Equal(t, tt.want, w.oversized.Load(), "chunk %d", chunk)
				assert.Equal(t, 0, w.hdrN, "ends between frames")
				assert.Zero(t, w.remaining)
			}
		})
	}
}

// rawUpgrade sends the handshake and first frames in one write, so the HTTP
// server has frame bytes buffered when it hands the connection over.
func rawUpgrade(t *testing.T, s *Server, frames ...[]byte) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.HTTPURL(), "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	req := "GET /local HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + base64.StdEncoding.EncodeToString(make([]byte, 16)) + "\r\n\r\n"
	buf := []byte(req)
	for _, f := range frames {
		buf = append(buf, f...)
	}
	_, err = conn.Write(buf)
	require.NoError(t, err)
	require.NoError(t, conn.SetDeadline(time.Now().Add(waitLimit)))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	return conn, br
}

func TestFramesBufferedWithTheHandshake(t *testing.T) {
	t.Run("are delivered", func(t *testing.T) {
		app := newFakeApp()
		s := startServer(t, app, Options{})
		rawUpgrade(t, s, clientFrame(true, 1, []byte("early")))
		assert.Equal(t, "early", app.wait(t, routeDefault, "", 1)[0].Body)
	})
	t.Run("are watched for the frame limit", func(t *testing.T) {
		app := newFakeApp()
		s := startServer(t, app, Options{FrameLimit: 100})
		_, br := rawUpgrade(t, s, clientFrame(true, 1, make([]byte, 101)))
		// The server's first frame is its close frame: 1009.
		hdr := make([]byte, 2)
		_, err := io.ReadFull(br, hdr)
		require.NoError(t, err)
		assert.Equal(t, byte(0x88), hdr[0], "a final close frame")
		payload := make([]byte, hdr[1]&0x7f)
		_, err = io.ReadFull(br, payload)
		require.NoError(t, err)
		assert.Equal(t, uint16(1009), binary.BigEndian.Uint16(payload))
		assert.Equal(t, 0, app.count(routeDefault, ""))
	})
}
