package ddbcontention

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxRequestBody is above DynamoDB's largest request (16 MB for a batch).
const maxRequestBody = 32 << 20

// Proxy is a running stand-in: a loopback HTTP server in front of the
// emulator. It is safe for any number of concurrent requests.
type Proxy struct {
	opts      Options
	hold      time.Duration
	url       string
	server    *http.Server
	transport *http.Transport
	forwarder *httputil.ReverseProxy
	schemas   *keySchemas

	jitterMu sync.Mutex
	jitter   *rand.Rand

	mu       sync.Mutex
	closed   bool
	handlers sync.WaitGroup
	held     map[itemID]int // items write transactions hold
	writing  map[itemID]int // items single and batch writes are applying upstream
	tail     chan struct{}  // done channel of the last admitted request
	counts   counters
	answered int64 // the proxy's own answers, for their request ids
}

// New starts a proxy on a free loopback port in front of the DynamoDB API at
// upstreamURL (a moto_server). Close stops it.
func New(upstreamURL string, opts Options) (*Proxy, error) {
	target, err := url.Parse(upstreamURL)
	if err != nil || target.Scheme == "" || target.Host == "" {
		return nil, fmt.Errorf("ddbcontention: upstream %q is not an http://host:port URL", upstreamURL)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ddbcontention: listen: %w", err)
	}
	transport := &http.Transport{
		DialContext:     (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:    8,
		IdleConnTimeout: 30 * time.Second,
	}
	tail := make(chan struct{})
	close(tail)
	p := &Proxy{
		opts:      opts,
		hold:      opts.hold(),
		url:       "http://" + listener.Addr().String(),
		transport: transport,
		schemas:   newKeySchemas(strings.TrimRight(upstreamURL, "/"), transport),
		jitter:    rand.New(rand.NewPCG(opts.Seed, opts.Seed)),
		held:      map[itemID]int{},
		writing:   map[itemID]int{},
		tail:      tail,
		counts:    counters{requests: map[string]int64{}},
	}
	p.forwarder = &httputil.ReverseProxy{
		Rewrite:        func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport:      laneTransport{p: p, base: transport},
		ModifyResponse: awaitHold,
		// An unreachable emulator looks like a bad gateway, which SDKs retry.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
	}
	p.server = &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() { _ = p.server.Serve(listener) }()
	return p, nil
}

// URL is the endpoint to give the AWS SDK (BaseEndpoint or
// AWS_ENDPOINT_URL_DYNAMODB).
func (p *Proxy) URL() string { return p.url }

// Close stops the proxy: open connections are cut, and it returns once no
// request is being handled. Holds still running expire on their own.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	_ = p.server.Close()
	p.handlers.Wait()
	p.transport.CloseIdleConnections()
}

// Stats returns the counters so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts.snapshot(len(p.held))
}

// ServeHTTP judges one DynamoDB request: refuses it as DynamoDB would, or
// forwards it to the emulator in its turn.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	p.handlers.Add(1)
	p.counts.requests[op]++
	p.mu.Unlock()
	defer p.handlers.Done()

	if err := p.delay(r.Context()); err != nil {
		return
	}
	// The whole body is read before the request is admitted, so a client
	// slow to send never holds the emulator's one lane.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		writeError(w, p.requestID(), serviceError{Type: "com.amazon.coral.service#SerializationException", Message: "read request body: " + err.Error()})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	p.judge(w, r, op, body)
}

func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, f *flight) {
	defer f.abandon()
	p.forwarder.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), flightKey{}, f)))
}

func (p *Proxy) delay(ctx context.Context) error {
	d := p.opts.Latency
	if p.opts.Jitter > 0 {
		p.jitterMu.Lock()
		d += time.Duration(p.jitter.Int64N(int64(p.opts.Jitter)))
		p.jitterMu.Unlock()
	}
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Proxy) requestID() string {
	p.mu.Lock()
	p.answered++
	n := p.answered
	p.mu.Unlock()
	return fmt.Sprintf("DDBCONTENTION%039d", n)
}
