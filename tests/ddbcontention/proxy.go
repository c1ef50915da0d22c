package ddbcontention

import (
	"bytes"
	"context"
	"encoding/json"
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

func (p *Proxy) judge(w http.ResponseWriter, r *http.Request, op string, body []byte) {
	authorization := r.Header.Get("Authorization")
	region := regionOf(authorization)
	switch op {
	case opTransactWriteItems:
		p.transactWrite(w, r, p.identify(r.Context(), region, authorization, itemsOf(op, body)))
	case opTransactGetItems:
		p.transactGet(w, r, p.identify(r.Context(), region, authorization, itemsOf(op, body)))
	case opPutItem, opUpdateItem, opDeleteItem:
		p.singleWrite(w, r, p.identify(r.Context(), region, authorization, itemsOf(op, body)))
	case opBatchWriteItem:
		p.forward(w, r, p.admit(p.identify(r.Context(), region, authorization, itemsOf(op, body))))
	case opCreateTable, opDeleteTable:
		var table struct{ TableName string }
		if json.Unmarshal(body, &table) == nil {
			p.schemas.forget(region, table.TableName)
		}
		p.forward(w, r, p.admit(nil))
	default:
		p.forward(w, r, p.admit(nil))
	}
}

// identify names the items a request touches; nil where it cannot (the
// emulator will judge that request).
func (p *Proxy) identify(ctx context.Context, region, authorization string, refs []*itemRef) []*itemID {
	ids := make([]*itemID, len(refs))
	for i, ref := range refs {
		if ref == nil || ref.TableName == "" {
			continue
		}
		var key string
		var ok bool
		switch {
		case ref.Key != nil:
			key, ok = canonicalKey(ref.Key, nil)
		case ref.Item != nil:
			names, err := p.schemas.keyNames(ctx, region, ref.TableName, authorization)
			if err != nil {
				continue
			}
			key, ok = canonicalKey(ref.Item, names)
		}
		if ok {
			ids[i] = &itemID{region: region, table: ref.TableName, key: key}
		}
	}
	return ids
}

// transactWrite cancels a write transaction that names an item another one
// holds, or holds its items and forwards it.
func (p *Proxy) transactWrite(w http.ResponseWriter, r *http.Request, ids []*itemID) {
	conflicts := make([]bool, len(ids))
	p.mu.Lock()
	n := 0
	for i, id := range ids {
		if id != nil && p.held[*id] > 0 {
			conflicts[i] = true
			n++
		}
	}
	if n > 0 {
		p.counts.transactionsCancelled++
		p.counts.conflictingItems += int64(n)
		p.mu.Unlock()
		writeError(w, p.requestID(), cancelledBody(conflicts))
		return
	}
	p.counts.transactionsForwarded++
	f := p.admitLocked(nil)
	if p.hold > 0 {
		holding := distinct(ids)
		for _, id := range holding {
			p.held[id]++
		}
		released := make(chan struct{})
		f.released = released
		time.AfterFunc(p.hold, func() {
			p.mu.Lock()
			for _, id := range holding {
				if p.held[id]--; p.held[id] <= 0 {
					delete(p.held, id)
				}
			}
			p.mu.Unlock()
			close(released)
		})
	}
	p.mu.Unlock()
	p.forward(w, r, f)
}

// transactGet cancels a read transaction that names an item a write
// transaction holds or a single or batch write is applying.
func (p *Proxy) transactGet(w http.ResponseWriter, r *http.Request, ids []*itemID) {
	conflicts := make([]bool, len(ids))
	p.mu.Lock()
	n := 0
	for i, id := range ids {
		if id != nil && (p.held[*id] > 0 || p.writing[*id] > 0) {
			conflicts[i] = true
			n++
		}
	}
	if n > 0 {
		p.counts.readTransactionsCancelled++
		p.counts.conflictingItems += int64(n)
		p.mu.Unlock()
		writeError(w, p.requestID(), cancelledBody(conflicts))
		return
	}
	f := p.admitLocked(nil)
	p.mu.Unlock()
	p.forward(w, r, f)
}

// singleWrite refuses a PutItem, UpdateItem or DeleteItem on an item a write
// transaction holds; other single writes never stand in its way.
func (p *Proxy) singleWrite(w http.ResponseWriter, r *http.Request, ids []*itemID) {
	p.mu.Lock()
	if len(ids) == 1 && ids[0] != nil && p.held[*ids[0]] > 0 {
		p.counts.singleWritesRefused++
		p.mu.Unlock()
		writeError(w, p.requestID(), conflictBody())
		return
	}
	f := p.admitLocked(ids)
	p.mu.Unlock()
	p.forward(w, r, f)
}

// admit gives a request its turn in the lane; writes lists the items it
// writes outside a transaction.
func (p *Proxy) admit(writes []*itemID) *flight {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.admitLocked(writes)
}

func (p *Proxy) admitLocked(writes []*itemID) *flight {
	f := &flight{after: p.tail, done: make(chan struct{}), writes: distinct(writes)}
	p.tail = f.done
	return f
}

func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, f *flight) {
	defer f.abandon()
	p.forwarder.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), flightKey{}, f)))
}

// markWriting counts the items of single and batch writes while the
// emulator applies them: that is when they are ongoing for a read
// transaction.
func (p *Proxy) markWriting(ids []itemID, delta int) {
	if len(ids) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		if p.writing[id] += delta; p.writing[id] <= 0 {
			delete(p.writing, id)
		}
	}
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

// distinct drops unnamed items and repeats: a transaction naming one item
// twice is the emulator's to refuse, and holds it once.
func distinct(ids []*itemID) []itemID {
	var out []itemID
	seen := map[itemID]bool{}
	for _, id := range ids {
		if id != nil && !seen[*id] {
			seen[*id] = true
			out = append(out, *id)
		}
	}
	return out
}

// regionOf reads the region from a SigV4 Authorization header
// ("... Credential=KEY/DATE/REGION/SERVICE/aws4_request, ..."); the
// emulator keeps one database per region.
func regionOf(authorization string) string {
	_, credential, ok := strings.Cut(authorization, "Credential=")
	if !ok {
		return ""
	}
	credential, _, _ = strings.Cut(credential, ",")
	parts := strings.Split(credential, "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[2]
}
