package gateway

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
)

// API Gateway limits single frames (32 KiB) separately from messages, but
// coder/websocket only exposes whole messages. So the hijacked connection is
// wrapped and a passive parser reads client frame headers as the bytes pass;
// the read loop asks it afterwards whether the message it just read contained
// an oversized frame.

// frameWatcher parses the client→server byte stream. It never alters bytes.
type frameWatcher struct {
	limit int64

	mu        sync.Mutex // serialises parse; reads may come from several goroutines over time
	hdr       [14]byte   // the largest header: 2 + 8 (length) + 4 (mask key)
	hdrN      int        // header bytes collected so far
	remaining uint64     // payload bytes still to skip in the current frame
	messages  uint64     // data messages started so far (1-based index of the current one)

	// oversized is the index of the first message with a frame over the limit
	// (0: none yet). Only the first matters: that message ends the connection.
	oversized atomic.Uint64
}

func newFrameWatcher(limit int64) *frameWatcher {
	return &frameWatcher{limit: limit}
}

// messageOversized reports whether data message n (1-based, in arrival order)
// or an earlier one had a frame over the limit. Counting messages rather than
// keeping a flag matters because the reader buffers ahead: the parser may
// already have seen the next message's headers.
func (w *frameWatcher) messageOversized(n uint64) bool {
	o := w.oversized.Load()
	return o != 0 && o <= n
}

// observe feeds bytes read from the client to the parser.
func (w *frameWatcher) observe(p []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(p) > 0 {
		if w.remaining > 0 {
			skip := uint64(len(p))
			if skip > w.remaining {
				skip = w.remaining
			}
			w.remaining -= skip
			p = p[skip:]
			continue
		}
		w.hdr[w.hdrN] = p[0]
		w.hdrN++
		p = p[1:]
		if w.hdrN < 2 || w.hdrN < headerLen(w.hdr[1]) {
			continue
		}
		w.frame()
		w.hdrN = 0
	}
}

// headerLen is the total header size announced by the second header byte.
func headerLen(b1 byte) int {
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}

// frame handles one complete header in w.hdr.
func (w *frameWatcher) frame() {
	opcode := w.hdr[0] & 0x0f
	var length uint64
	switch l := w.hdr[1] & 0x7f; l {
	case 126:
		length = uint64(binary.BigEndian.Uint16(w.hdr[2:4]))
	case 127:
		length = binary.BigEndian.Uint64(w.hdr[2:10])
	default:
		length = uint64(l)
	}
	w.remaining = length

	switch opcode {
	case 0x1, 0x2: // text, binary: a new message starts
		w.messages++
	case 0x0: // continuation of the current message
	default: // control frames are ≤125 bytes and belong to no message
		return
	}
	if length > uint64(w.limit) && w.oversized.Load() == 0 {
		w.oversized.Store(w.messages)
	}
}

// watchedConn passes every byte read from the client through the watcher.
type watchedConn struct {
	net.Conn
	r     io.Reader
	watch *frameWatcher
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.watch.observe(p[:n])
	return n, err
}

// hijackWriter hands coder/websocket a watched connection when it hijacks.
// It must not expose Unwrap: coder/websocket would find the inner Hijacker.
type hijackWriter struct {
	http.ResponseWriter
	watch *frameWatcher
}

func (h *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// Bytes the HTTP server already buffered past the request are the first
	// frames; they must go through the watcher too, before the socket.
	var pending []byte
	if n := brw.Reader.Buffered(); n > 0 {
		b, _ := brw.Reader.Peek(n)
		pending = bytes.Clone(b)
	}
	wc := &watchedConn{
		Conn:  conn,
		r:     io.MultiReader(bytes.NewReader(pending), conn),
		watch: h.watch,
	}
	return wc, bufio.NewReadWriter(bufio.NewReader(wc), brw.Writer), nil
}
