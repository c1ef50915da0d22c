package gateway

import (
	"context"
	"encoding/base64"
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// queueSize bounds messages read but not yet handled; a full queue makes the
// reader wait, which pushes back on the client through TCP.
const queueSize = 64

var errGone = errors.New("gateway: connection gone")

type inbound struct {
	typ  websocket.MessageType
	data []byte
	at   time.Time
}

// connection is one upgraded client. Three goroutines serve it:
//   - readLoop reads messages and enforces the frame limit and UTF-8 text;
//   - work invokes the product for each message, one at a time in arrival
//     order (API Gateway promises no order; sequential handling is the
//     simplest rule for clients to reason about), then sends $disconnect —
//     so $disconnect is always the connection's last event;
//   - supervise enforces the idle and age limits and performs closes
//     requested from elsewhere (@connections DELETE, Server.Close).
type connection struct {
	s     *Server
	ws    *websocket.Conn
	watch *frameWatcher
	info  connInfo

	ready chan struct{} // closed once ws is set, or the upgrade failed (ws stays nil)

	lastActive atomic.Int64  // Unix ms of the last client message
	activity   chan struct{} // readLoop → supervise: a message arrived
	queue      chan inbound  // readLoop → work
	readDone   chan struct{} // closed when readLoop ends
	closeReq   chan struct{} // closed by the first close request

	mu    sync.Mutex
	cause *closeCause // first close request or observed close; later ones lose
}

func newConnection(s *Server, watch *frameWatcher, info connInfo) *connection {
	c := &connection{
		s:        s,
		watch:    watch,
		ready:    make(chan struct{}),
		info:     info,
		activity: make(chan struct{}, 1),
		queue:    make(chan inbound, queueSize),
		readDone: make(chan struct{}),
		closeReq: make(chan struct{}),
	}
	c.lastActive.Store(info.connectedAt.UnixMilli())
	return c
}

// open attaches the upgraded socket and starts serving it. It is called from
// a goroutine the server tracks, so wg.Go is safe here.
func (c *connection) open(ws *websocket.Conn) {
	c.ws = ws
	close(c.ready)
	c.s.wg.Go(c.readLoop)
	c.s.wg.Go(c.work)
	c.s.wg.Go(c.supervise)
}

// markClosing records why the connection ends (first caller wins) and hides
// it from @connections at once, so the id answers 410 from then on.
func (c *connection) markClosing(code int, reason string) bool {
	c.mu.Lock()
	first := c.cause == nil
	if first {
		c.cause = &closeCause{code: code, reason: reason}
	}
	c.mu.Unlock()
	if first {
		c.s.unregister(c.info.id)
	}
	return first
}

// requestClose asks supervise to close the connection; it never blocks, so
// HTTP handlers and Server.Close can call it freely.
func (c *connection) requestClose(code int, reason string) {
	if c.markClosing(code, reason) {
		close(c.closeReq)
	}
}

func (c *connection) closing() *closeCause {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

func (c *connection) supervise() {
	idle := time.NewTimer(c.s.opts.IdleTimeout)
	defer idle.Stop()
	age := time.NewTimer(c.s.opts.MaxDuration)
	defer age.Stop()
	for {
		select {
		case <-c.activity:
			idle.Reset(c.s.opts.IdleTimeout)
		case <-idle.C:
			c.requestClose(closeGoingAway, reasonGoingAway)
		case <-age.C:
			c.requestClose(closeGoingAway, reasonGoingAway)
		case <-c.closeReq:
			// The handshake's echo from the client ends readLoop.
			c.closeSocket()
			return
		case <-c.readDone:
			return
		}
	}
}

func (c *connection) readLoop() {
	defer close(c.readDone)
	defer close(c.queue)
	var n uint64 // data messages read so far
	for {
		typ, data, err := c.ws.Read(context.Background())
		if err != nil {
			code, reason := observedClose(err)
			c.markClosing(code, reason)
			// Completes the handshake when the server ended the connection
			// (message too big); a no-op when it is already closed.
			c.closeSocket()
			return
		}
		n++
		if c.watch.messageOversized(n) {
			// Like API Gateway: the oversized frame ends the connection and
			// its message is never routed.
			c.requestClose(closeTooBig, reasonFrameLimit)
			continue
		}
		if typ == websocket.MessageText && !utf8.Valid(data) {
			// RFC 6455 §8.1 fails the connection with 1007; the message is
			// never routed, so the product only ever sees UTF-8 text
			// (encoding/json would otherwise quietly repair it).
			c.requestClose(closeBadData, reasonBadData)
			continue
		}
		if c.closing() != nil {
			continue // closing: read on only to finish the handshake
		}
		now := c.s.opts.Now()
		c.lastActive.Store(now.UnixMilli())
		select {
		case c.activity <- struct{}{}:
		default:
		}
		select {
		case c.queue <- inbound{typ: typ, data: data, at: now}:
		case <-c.closeReq:
		}
	}
}

// closeSocket closes with the recorded cause. Codes that never go on the wire
// (1005 no status, 1006 abnormal) mean the peer is already gone or closed.
func (c *connection) closeSocket() {
	cause := c.closing()
	switch cause.code {
	case closeNoStatus, closeAbnormal, closeTLS:
		_ = c.ws.CloseNow()
	default:
		_ = c.ws.Close(websocket.StatusCode(cause.code), cause.reason)
	}
}

func (c *connection) work() {
	for m := range c.queue {
		route, body, b64 := routeDefault, "", false
		if m.typ == websocket.MessageText {
			route, body = selectRoute(m.data, c.s.routes), string(m.data)
		} else {
			// Binary frames go to $default base64-encoded, flagged as such.
			body, b64 = base64.StdEncoding.EncodeToString(m.data), true
		}
		ev := c.s.messageEvent(c.info, route, body, b64, m.at)
		if _, err := c.s.invoke(c.s.invokeCtx, &ev); err != nil {
			// API Gateway drops a failed MESSAGE invocation; the client
			// hears nothing (no route response is configured).
			c.s.log.Warn("gateway: message invocation failed", "connection", logID(c.info.id), "route", route, "err", err)
		}
	}
	cause := c.closing()
	c.s.disconnect(c.info, cause.code, cause.reason)
}

// send delivers one @connections POST as a single text message.
func (c *connection) send(ctx context.Context, data []byte) error {
	if c.closing() != nil {
		return errGone
	}
	if err := c.ws.Write(ctx, websocket.MessageText, data); err != nil {
		return errors.Join(errGone, err)
	}
	return nil
}

// disconnect invokes $disconnect, best effort: failures are logged only.
func (s *Server) disconnect(info connInfo, code int, reason string) {
	ev := s.disconnectEvent(info, code, reason, s.opts.Now())
	if _, err := s.invoke(s.disconnectCtx, &ev); err != nil {
		s.log.Warn("gateway: $disconnect invocation failed", "connection", logID(info.id), "err", err)
	}
}
