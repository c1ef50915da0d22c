package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Handler is the Lambda entry point of the product: raw event JSON in, raw
// response JSON out. It is called concurrently for different connections.
type Handler func(ctx context.Context, event json.RawMessage) (json.RawMessage, error)

// Server emulates one stage of an API Gateway WebSocket API.
type Server struct {
	h      Handler
	opts   Options
	routes map[string]bool
	log    *slog.Logger
	faults *faulter

	ln   net.Listener
	http *http.Server

	// invokeCtx bounds $connect and MESSAGE invocations; Close cancels it first.
	// disconnectCtx bounds $disconnect invocations; Close cancels it last, so
	// the product still hears about the connections Close ends.
	invokeCtx        context.Context
	cancelInvoke     context.CancelFunc
	disconnectCtx    context.Context
	cancelDisconnect context.CancelFunc

	mu     sync.Mutex
	closed bool
	conns  map[string]*connection

	// wg counts every goroutine the server starts (request handlers that
	// reached us, per-connection goroutines, invocations) so Close can wait.
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New starts a Server listening on opts.Addr.
func New(h Handler, opts Options) (*Server, error) {
	if h == nil {
		return nil, errors.New("gateway: nil handler")
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("gateway: listen %s: %w", opts.Addr, err)
	}
	s := &Server{
		h:      h,
		opts:   opts,
		routes: make(map[string]bool, len(opts.Routes)),
		log:    opts.Logger,
		faults: newFaulter(opts.Faults),
		ln:     ln,
		conns:  make(map[string]*connection),
	}
	for _, r := range opts.Routes {
		s.routes[r] = true
	}
	s.invokeCtx, s.cancelInvoke = context.WithCancel(context.Background())
	s.disconnectCtx, s.cancelDisconnect = context.WithCancel(context.Background())
	s.http = &http.Server{
		Handler:           http.HandlerFunc(s.serveHTTP),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.wg.Go(func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("gateway: serve", "err", err)
		}
	})
	return s, nil
}

// URL is the WebSocket address clients dial: "ws://127.0.0.1:PORT/<stage>".
func (s *Server) URL() string { return "ws://" + s.ln.Addr().String() + "/" + s.opts.Stage }

// HTTPURL is the plain-HTTP base address: "http://127.0.0.1:PORT".
func (s *Server) HTTPURL() string { return "http://" + s.ln.Addr().String() }

// ManagementEndpoint is the BaseEndpoint for the apigatewaymanagementapi
// client: "http://127.0.0.1:PORT/<stage>", as on AWS.
func (s *Server) ManagementEndpoint() string { return s.HTTPURL() + "/" + s.opts.Stage }

// ConnectionCount reports how many connections are open and visible to
// @connections.
func (s *Server) ConnectionCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.conns {
		select {
		case <-c.ready:
			n++
		default: // still upgrading
		}
	}
	return n
}

// Close closes every client connection with 1001, sends $disconnect for each
// (best effort, as on AWS), stops listening and waits for its goroutines.
// It does not hang: invocations still running after a grace period are
// cancelled, and Close reports a handler that ignores its context.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	s.mu.Lock()
	s.closed = true
	conns := make([]*connection, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	// Pending $connect and MESSAGE invocations are pointless now; stopping
	// them first keeps Close quick.
	s.cancelInvoke()
	// Close listeners and not-yet-upgraded connections (hijacked ones are ours).
	err := s.http.Close()
	for _, c := range conns {
		c.requestClose(closeGoingAway, reasonGoingAway)
	}

	if !waitTimeout(&s.wg, closeGrace) {
		s.cancelDisconnect()
		if !waitTimeout(&s.wg, abandonGrace) {
			return errors.New("gateway: close: handler invocations ignore their context and are still running")
		}
	}
	s.cancelDisconnect()
	return err
}

// waitTimeout waits for wg, giving up after d. The helper goroutine it starts
// ends when wg does.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// enter registers an incoming request so Close waits for it; it fails once
// Close has begun, which keeps wg.Add from racing with wg.Wait.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// serveHTTP dispatches like API Gateway's single hostname does: @connections
// calls, WebSocket upgrades at any path, and everything else to Extra.
// Hostile requests are refused first, before any of them sees the request.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if refuseHostileRequest(w, r) {
		return
	}
	id, kind := parseManagementPath(r.URL)
	switch {
	case kind == malformedManagement:
		writeAWSError(w, http.StatusBadRequest, "BadRequestException", "Bad Request")
	case kind == connectionPath:
		if !s.enter() {
			writeJSONMessage(w, http.StatusServiceUnavailable, "Service Unavailable")
			return
		}
		defer s.wg.Done()
		s.serveManagement(w, r, id)
	case isUpgrade(r):
		if !s.enter() {
			writeJSONMessage(w, http.StatusServiceUnavailable, "Service Unavailable")
			return
		}
		defer s.wg.Done()
		s.serveUpgrade(w, r)
	case s.opts.Extra != nil:
		s.opts.Extra.ServeHTTP(w, r)
	default:
		w.Header().Set("Upgrade", "websocket")
		writeJSONMessage(w, http.StatusUpgradeRequired, "Upgrade Required")
	}
}

// writeJSONMessage writes API Gateway's error body shape {"message": ...}.
func writeJSONMessage(w http.ResponseWriter, status int, msg string) {
	body, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// register makes an upgraded connection visible to @connections. It fails if
// Close has begun, so no connection escapes Close's snapshot.
func (s *Server) register(c *connection) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c.info.id] = c
	return true
}

func (s *Server) unregister(id string) {
	s.mu.Lock()
	delete(s.conns, id)
	s.mu.Unlock()
}

// lookup finds an open connection for @connections. A connection whose 101
// is on its way is waited for (briefly: the upgrade is local), so a client
// that sees its socket open can be posted to at once.
func (s *Server) lookup(ctx context.Context, id string) *connection {
	s.mu.Lock()
	c := s.conns[id]
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	select {
	case <-c.ready:
	case <-ctx.Done():
		return nil
	}
	if c.ws == nil || c.closing() != nil {
		return nil
	}
	return c
}
