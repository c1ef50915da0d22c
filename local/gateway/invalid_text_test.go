package gateway

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answerServerClose reads frames until the server's close frame, echoes it as
// a client does, and returns its code (0 when the frame carries none).
func answerServerClose(t testing.TB, conn net.Conn, br *bufio.Reader) uint16 {
	t.Helper()
	code := readServerClose(t, br)
	_, err := conn.Write(clientFrame(true, 8, closePayload(code, "")))
	require.NoError(t, err)
	return code
}

func readServerClose(t testing.TB, br *bufio.Reader) uint16 {
	t.Helper()
	for {
		hdr := make([]byte, 2)
		_, err := io.ReadFull(br, hdr)
		require.NoError(t, err, "the server closes with a close frame")
		n := int(hdr[1] & 0x7f)
		switch n {
		case 126:
			ext := make([]byte, 2)
			_, err = io.ReadFull(br, ext)
			n = int(binary.BigEndian.Uint16(ext))
		case 127:
			ext := make([]byte, 8)
			_, err = io.ReadFull(br, ext)
			n = int(binary.BigEndian.Uint64(ext))
		}
		require.NoError(t, err)
		payload := make([]byte, n)
		_, err = io.ReadFull(br, payload)
		require.NoError(t, err)
		if hdr[0]&0x0f != 8 {
			continue
		}
		if len(payload) < 2 {
			return 0
		}
		return binary.BigEndian.Uint16(payload)
	}
}

func TestTextThatIsNotUTF8(t *testing.T) {
	tests := []struct {
		name       string
		frames     [][]byte
		wantClose  uint16   // 0: the connection stays open
		wantRouted []string // bodies routed, in order
	}{
		{
			name:      "a text frame of invalid bytes is closed with 1007 and not routed",
			frames:    [][]byte{clientFrame(true, 1, []byte{0xff, 0xfe})},
			wantClose: 1007,
		},
		{
			name:      "invalid UTF-8 inside a JSON action is closed with 1007, not repaired and acted on",
			frames:    [][]byte{clientFrame(true, 1, []byte("{\"action\":\"heartbeat\",\"x\":\"\xc3\x28\"}"))},
			wantClose: 1007,
		},
		{
			name:      "an overlong encoding is not UTF-8",
			frames:    [][]byte{clientFrame(true, 1, []byte("\xc0\xaf"))},
			wantClose: 1007,
		},
		{
			name:      "a surrogate half is not UTF-8",
			frames:    [][]byte{clientFrame(true, 1, []byte("\xed\xa0\x80"))},
			wantClose: 1007,
		},
		{
			name:       "a valid message before an invalid one is still routed",
			frames:     [][]byte{clientFrame(true, 1, []byte("ok")), clientFrame(true, 1, []byte("\xff"))},
			wantClose:  1007,
			wantRouted: []string{"ok"},
		},
		{
			name:       "a character split across two frames of one message is valid",
			frames:     [][]byte{clientFrame(false, 1, []byte("caf\xc3")), clientFrame(true, 0, []byte("\xa9"))},
			wantRouted: []string{"café"},
		},
		{
			name:       "a binary frame may hold any bytes",
			frames:     [][]byte{clientFrame(true, 2, []byte{0xff, 0xfe})},
			wantRouted: []string{base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := newFakeApp()
			s := startServer(t, app, Options{})
			conn, br := rawUpgrade(t, s, tt.frames...)
			id := app.connectID(t, 1)

			if tt.wantClose == 0 {
				evs := app.wait(t, routeDefault, id, len(tt.wantRouted))
				for i, ev := range evs {
					assert.Equal(t, tt.wantRouted[i], ev.Body)
				}
				assert.Equal(t, 1, s.ConnectionCount(), "still open")
				return
			}
			assert.Equal(t, tt.wantClose, answerServerClose(t, conn, br))
			rc := app.wait(t, routeDisconnect, id, 1)[0].RequestContext
			assert.Equal(t, int64(tt.wantClose), rc.DisconnectStatusCode)
			var routed []string
			for _, ev := range app.wait(t, routeDefault, id, len(tt.wantRouted)) {
				routed = append(routed, ev.Body)
			}
			assert.Equal(t, tt.wantRouted, routed)
			assert.Equal(t, len(tt.wantRouted), app.count(routeDefault, id), "the invalid message is not routed")
		})
	}
}

// Any text frame either reaches the product byte for byte (valid UTF-8) or
// closes the connection with 1007 and reaches nobody.
func FuzzTextFrame(f *testing.F) {
	for _, seed := range []string{
		`{"action":"heartbeat"}`, "", "café", "\xff", "{\"action\":\"\xff\"}", "\xc3", "\xc3\x28", "\xe2\x82",
		"\xf0\x9f\x98\x80", "\xf4\x90\x80\x80", "\xed\xa0\x80", "\xc0\xaf", "\uFFFD", "a\x00b",
	} {
		f.Add([]byte(seed))
	}
	app := newFakeApp()
	s, err := New(app.handle, Options{})
	require.NoError(f, err)
	f.Cleanup(func() { require.NoError(f, s.Close()) })
	var connects atomic.Int64

	f.Fuzz(func(t *testing.T, text []byte) {
		text = text[:min(len(text), 4096)] // frame limits are tested elsewhere
		conn, br := rawUpgrade(t, s, clientFrame(true, 1, text))
		id := app.connectID(t, int(connects.Add(1)))
		if utf8.Valid(text) {
			assert.Equal(t, string(text), app.wait(t, routeDefault, id, 1)[0].Body)
			return
		}
		assert.Equal(t, uint16(1007), answerServerClose(t, conn, br))
		assert.Equal(t, int64(1007), app.wait(t, routeDisconnect, id, 1)[0].RequestContext.DisconnectStatusCode)
		assert.Equal(t, 0, app.count(routeDefault, id))
	})
}
