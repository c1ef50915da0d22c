package e2e

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// outageServer is a real HTTP server on a fixed loopback port that can be
// stopped (connections refused, open ones cut) and started again on the same
// port: a dependency going down and coming back, as the service sees it.
type outageServer struct {
	t       *testing.T
	addr    string
	handler http.Handler
	mu      sync.Mutex
	srv     *http.Server
}

func newOutageServer(t *testing.T, h http.Handler) *outageServer {
	t.Helper()
	o := &outageServer{t: t, handler: h}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	o.addr = l.Addr().String()
	o.serve(l)
	t.Cleanup(o.stop)
	return o
}

func (o *outageServer) URL() string { return "http://" + o.addr }

func (o *outageServer) serve(l net.Listener) {
	o.mu.Lock()
	defer o.mu.Unlock()
	srv := &http.Server{Handler: o.handler}
	o.srv = srv
	go func() { _ = srv.Serve(l) }()
}

func (o *outageServer) stop() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.srv != nil {
		_ = o.srv.Close()
		o.srv = nil
	}
}

func (o *outageServer) start() {
	o.t.Helper()
	var l net.Listener
	require.Eventually(o.t, func() bool {
		var err error
		l, err = net.Listen("tcp", o.addr)
		return err == nil
	}, 5*time.Second, 50*time.Millisecond, "port %s not free again", o.addr)
	o.serve(l)
}

// dynamoProxy forwards to the real DynamoDB API, and can answer the next
// requests with DynamoDB's own throttling error instead.
type dynamoProxy struct {
	*outageServer
	throttleNext atomic.Int64
	throttled    atomic.Int64
	hang         atomic.Bool // accept requests but never answer (a frozen server)
	mu           sync.Mutex
	arrivals     []time.Time
}

func newDynamoProxy(t *testing.T) *dynamoProxy {
	t.Helper()
	target, err := url.Parse(dynamoEndpoint)
	require.NoError(t, err)
	p := &dynamoProxy{}
	rp := httputil.NewSingleHostReverseProxy(target)
	p.outageServer = newOutageServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.arrivals = append(p.arrivals, time.Now())
		p.mu.Unlock()
		if p.hang.Load() {
			<-r.Context().Done()
			return
		}
		if p.throttleNext.Add(-1) >= 0 {
			p.throttled.Add(1)
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}`))
			return
		}
		p.throttleNext.Store(0)
		rp.ServeHTTP(w, r)
	}))
	return p
}

func (p *dynamoProxy) gaps() []time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(p.arrivals); i++ {
		out = append(out, p.arrivals[i].Sub(p.arrivals[i-1]))
	}
	return out
}

func joinQuery(id string) string {
	return query("action", "joinSession", "sessionId", id, "targetLanguage", "es")
}

func TestDatabaseOutageIsServiceUnavailableAndHeals(t *testing.T) {
	proxy := newDynamoProxy(t)
	sys := startSystemWith(t, generousLimits, systemOptions{dynamoEndpoint: proxy.URL(), productionClient: true})
	_, id := sys.speaker(t, "owner")
	sys.listener(t, id, "es")

	proxy.stop()
	start := time.Now()
	_, status, body := sys.tryDial(t, joinQuery(id))
	elapsed := time.Since(start)
	t.Logf("with the database down, $connect answered %d in %v", status, elapsed)
	assert.Equal(t, 503, status)
	assert.Equal(t, "SERVICE_UNAVAILABLE", body["code"])
	assert.Less(t, elapsed, 20*time.Second, "well inside API Gateway's 29 s and Lambda's budget")

	proxy.start()
	l := sys.listener(t, id, "fr")
	assert.Equal(t, 2, sys.session(t, id).Count, "the service recovered by itself; the refused join changed nothing")
	l.send(map[string]string{"action": "heartbeat"})
	l.expect("heartbeatAck")
}

func TestFrozenDatabaseAnswersWithinTheBudget(t *testing.T) {
	proxy := newDynamoProxy(t)
	sys := startSystemWith(t, generousLimits, systemOptions{dynamoEndpoint: proxy.URL(), productionClient: true})
	_, id := sys.speaker(t, "owner")
	proxy.hang.Store(true)
	start := time.Now()
	_, status, body := sys.tryDial(t, joinQuery(id))
	elapsed := time.Since(start)
	t.Logf("with the database frozen, $connect answered %d in %v", status, elapsed)
	assert.Equal(t, 503, status)
	assert.Equal(t, "SERVICE_UNAVAILABLE", body["code"])
	assert.Less(t, elapsed, 20*time.Second, "3 attempts of 3 s with backoff stay inside API Gateway's 29 s")
	proxy.hang.Store(false)
	sys.listener(t, id, "es")
}

func TestThrottlingIsRetriedWithBackoffAtMostThreeTimes(t *testing.T) {
	proxy := newDynamoProxy(t)
	sys := startSystemWith(t, generousLimits, systemOptions{dynamoEndpoint: proxy.URL(), productionClient: true})
	_, id := sys.speaker(t, "owner")
	outer := t // the listener must outlive its subtest: its $disconnect would eat the next throttles

	t.Run("two throttles are absorbed by retries", func(t *testing.T) {
		before := sys.roundTrips.Attempts()
		proxy.mu.Lock()
		proxy.arrivals = nil
		proxy.mu.Unlock()
		proxy.throttleNext.Store(2)
		sys.listener(outer, id, "es")
		assert.EqualValues(t, 2, proxy.throttled.Load())
		assert.GreaterOrEqual(t, sys.roundTrips.Attempts()-before, int64(5), "3 operations + 2 retries")
		gaps := proxy.gaps()
		require.GreaterOrEqual(t, len(gaps), 2)
		assert.Greater(t, gaps[0]+gaps[1], time.Millisecond, "retries wait (exponential backoff with jitter)")
	})
	t.Run("a third throttle gives up with 503", func(t *testing.T) {
		proxy.throttled.Store(0)
		proxy.throttleNext.Store(3)
		_, status, body := sys.tryDial(t, joinQuery(id))
		assert.Equal(t, 503, status)
		assert.Equal(t, "SERVICE_UNAVAILABLE", body["code"])
		assert.EqualValues(t, 3, proxy.throttled.Load(), "no more than 3 attempts")
		assert.Equal(t, 1, sys.session(t, id).Count)
	})
}

func TestJWKSOutageRefusesSpeakersButNotListeners(t *testing.T) {
	var jwks atomic.Value // []byte, set once the issuer exists
	server := newOutageServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks.Load().([]byte))
	}))
	server.stop()
	sys := startSystemWith(t, nil, systemOptions{jwksURL: server.URL() + "/.well-known/jwks.json"})
	keys, err := sys.Issuer.JWKS()
	require.NoError(t, err)
	jwks.Store(keys)

	_, status, body := sys.tryDial(t, query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", sys.token(t, "alice")))
	assert.Equal(t, 503, status, "an unreachable JWKS is our outage, not the speaker's bad token")
	assert.Equal(t, "SERVICE_UNAVAILABLE", body["code"])

	// A session whose speaker got in before the outage: listeners still join.
	id := seedSession(t, sys, "holy-lamb-505")
	sys.listener(t, id, "es")
	assert.Equal(t, 1, sys.session(t, id).Count)

	server.start()
	sys.clock.Advance(1100 * time.Millisecond) // the verifier retries an unreachable JWKS at most once a second
	c := sys.dial(t, query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", sys.token(t, "alice")))
	c.expect("sessionCreated")
}

func TestMissingRateLimitTableSkipsLimitsWithOneWarning(t *testing.T) {
	logs := &syncBuffer{}
	sys := startSystemWith(t, map[string]string{"RATE_LIMIT_LISTENER_JOINS_PER_MIN": "1"}, systemOptions{logs: logs})
	_, id := sys.speaker(t, "owner")
	dropTable(t, sys, sys.cfg.Tables.RateLimits)
	for range 3 {
		sys.listener(t, id, "es") // over the join limit of 1, but limits are off
	}
	assert.Equal(t, 3, sys.session(t, id).Count)
	assert.Equal(t, 1, strings.Count(logs.String(), "rate limits skipped"), "one warning, not one per request")
}

// syncBuffer collects log lines written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
