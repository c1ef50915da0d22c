package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/coder/websocket"
	"github.com/guregu/dynamo/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/api"
	"github.com/livecast/sessions/app"
	"github.com/livecast/sessions/audiostream"
	"github.com/livecast/sessions/local"
	"github.com/livecast/sessions/local/gateway"
	"github.com/livecast/sessions/local/motoserver"
	"github.com/livecast/sessions/session"
	"github.com/livecast/sessions/store"
)

// dynamoEndpoint and kinesisEndpoint are the DynamoDB and Kinesis APIs every
// end-to-end test uses: a moto_server this package starts (or
// AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_KINESIS if set).
var (
	dynamoEndpoint  string
	kinesisEndpoint string
	moto            *motoserver.Server
)

func TestMain(m *testing.M) {
	dynamoEndpoint = os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
	if dynamoEndpoint == "" {
		var err error
		if moto, err = motoserver.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "end-to-end tests need a DynamoDB API:", err)
			os.Exit(1)
		}
		dynamoEndpoint = moto.URL
	}
	kinesisEndpoint = os.Getenv("AWS_ENDPOINT_URL_KINESIS")
	if kinesisEndpoint == "" {
		kinesisEndpoint = dynamoEndpoint
	}
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// clock is real time plus an offset tests can advance, so rate-limit windows
// can reset without sleeping.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// system is the whole service on loopback, built exactly as `sessions local`.
type system struct {
	*local.System
	clock      *clock
	roundTrips *store.RoundTrips
	kinesis    *audiostream.Requests
	key        *rsa.PrivateKey
	keyID      string
	clientID   string
	awsCfg     aws.Config
	cfg        app.Config
	// disconnects counts $disconnect invocations that have finished, so a
	// test can wait for the one its close caused instead of sleeping.
	disconnects atomic.Int64
}

var tableSeq atomic.Int64

// testKey is generated once: RSA key generation is slow under -race.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// startSystem starts a local system with its own tables; env overrides the
// configuration like the process environment would.
func startSystem(t *testing.T, env map[string]string) *system {
	t.Helper()
	return startSystemWith(t, env, systemOptions{})
}

// systemOptions change how a test system reaches its dependencies.
type systemOptions struct {
	dynamoEndpoint  string    // "" → the package's moto_server
	kinesisEndpoint string    // "" → the package's moto_server
	audioLoopback   bool      // fan the audio stream back out to listeners
	jwksURL         string    // "" → the local issuer's JWKS
	logs            io.Writer // nil → discarded (or the test log with E2E_LOG=1)
	metrics         io.Writer
	// faults add @connections latency and 410/429 answers (the field's
	// behaviour, gateway.Faults); zero: localhost's.
	faults gateway.Faults
	// productionClient keeps the product's 3 s per attempt. Otherwise the
	// tests wait up to 15 s: moto answers one request at a time, and on a
	// loaded machine a slow answer must not look like an outage (a lost
	// answer turns into a retry the test did not ask for).
	productionClient bool
}

func startSystemWith(t *testing.T, env map[string]string, o systemOptions) *system {
	t.Helper()
	if o.dynamoEndpoint == "" {
		o.dynamoEndpoint = dynamoEndpoint
	}
	if o.kinesisEndpoint == "" {
		o.kinesisEndpoint = kinesisEndpoint
	}
	prefix := fmt.Sprintf("e2e%d-%d-", time.Now().UnixNano(), tableSeq.Add(1))
	vars := map[string]string{
		"SESSIONS_TABLE": prefix + "Sessions", "CONNECTIONS_TABLE": prefix + "Connections", "RATE_LIMITS_TABLE": prefix + "RateLimits",
		"AUDIO_STREAM_NAME": prefix + "Audio", "AWS_REGION": "us-east-1",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := app.FromEnv(func(name string) (string, bool) { v, ok := vars[name]; return v, ok })
	require.NoError(t, err)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", o.dynamoEndpoint)
	t.Setenv("AWS_ENDPOINT_URL_KINESIS", o.kinesisEndpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	awsCfg, err := app.LoadAWS(context.Background(), cfg.Region, true)
	require.NoError(t, err)
	if !o.productionClient {
		awsCfg.HTTPClient = awshttp.NewBuildableClient().WithTimeout(15 * time.Second)
	}
	sys := &system{clock: &clock{}, roundTrips: &store.RoundTrips{}, kinesis: &audiostream.Requests{}, key: testKey(), keyID: "test-key", clientID: "e2e-client", awsCfg: awsCfg, cfg: cfg}
	var logs io.Writer = io.Discard
	switch {
	case o.logs != nil:
		logs = o.logs
	case os.Getenv("E2E_LOG") != "":
		logs = testLogWriter{t}
	}
	logger := app.NewLogger(logs, cfg.LogLevel)
	sys.System, err = local.Start(context.Background(), cfg, awsCfg, local.Options{
		ClientID: sys.clientID, IssuerKey: sys.key, IssuerKeyID: sys.keyID,
		Logger: logger, Now: sys.clock.Now, JWKSURL: o.jwksURL, Metrics: o.metrics,
		DynamoOptions:  []func(*dynamodb.Options){sys.roundTrips.Option()},
		KinesisOptions: []func(*kinesis.Options){sys.kinesis.Option()},
		AudioLoopback:  o.audioLoopback, LoopbackPoll: 50 * time.Millisecond,
		// Every chunk must arrive in these tests, also on a loaded machine
		// under -race; audio's one-second age has unit tests of its own.
		LoopbackMaxAge: time.Minute,
		WrapHandler:    sys.countDisconnects, ConnectionsFaults: o.faults,
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = sys.Close()
		_ = sys.Graph.Store.DeleteTables(context.Background())
		_ = sys.Graph.AudioStream.Delete(context.Background())
	})
	return sys
}

// countDisconnects wraps the gateway's handler to count finished
// $disconnect invocations.
func (s *system) countDisconnects(next gateway.Handler) gateway.Handler {
	return func(ctx context.Context, ev json.RawMessage) (json.RawMessage, error) {
		out, err := next(ctx, ev)
		var route struct {
			RequestContext struct{ RouteKey string } `json:"requestContext"`
		}
		if json.Unmarshal(ev, &route) == nil && route.RequestContext.RouteKey == "$disconnect" {
			s.disconnects.Add(1)
		}
		return out, err
	}
}

// closeAndAwaitDisconnect closes c with 1000 and returns once the service
// has handled that connection's $disconnect (tests that close one
// connection at a time).
func (s *system) closeAndAwaitDisconnect(t *testing.T, c *client) {
	t.Helper()
	s.awaitDisconnect(t, c.close)
}

// awaitDisconnect runs end, which ends one connection (a close, a drop, a
// frame the gateway refuses), and returns once its $disconnect has run.
func (s *system) awaitDisconnect(t *testing.T, end func()) {
	t.Helper()
	before := s.disconnects.Load()
	end()
	eventually(t, func() bool { return s.disconnects.Load() > before }, "the ended connection's $disconnect has run")
}

// settle waits until no invocation (gateway event or scheduled internal
// event such as a welcome) is running.
func (s *system) settle(t *testing.T) {
	t.Helper()
	eventually(t, func() bool { return s.InFlight() == 0 }, "asynchronous work has finished")
}

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// token mints a valid speaker token for sub.
func (s *system) token(t *testing.T, sub string) string {
	t.Helper()
	tok, err := s.Issuer.Mint(sub, sub+"@example.com", time.Hour)
	require.NoError(t, err)
	return tok
}

// client is a WebSocket client that records everything it receives.
type client struct {
	t      *testing.T
	conn   *websocket.Conn
	msgs   chan map[string]any
	closed chan struct{}
	err    error // the read error that ended the connection

	// offContract collects received frames that match no schema of the
	// contract (api/asyncapi.yaml); the test fails on them when it ends.
	mu          sync.Mutex
	offContract []string
}

// contract is the wire contract every frame of the suite is held to.
var contract = api.MustLoad()

// newClient starts reading conn. Every frame it receives is checked against
// the contract; a check at the end of the test reports the ones that match
// no schema (a reader goroutine must not fail the test itself).
func newClient(t *testing.T, conn *websocket.Conn) *client {
	conn.SetReadLimit(1 << 20)
	c := &client{t: t, conn: conn, msgs: make(chan map[string]any, 1024), closed: make(chan struct{})}
	t.Cleanup(func() {
		<-c.closed
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, v := range c.offContract {
			t.Errorf("received a frame off the contract: %s", v)
		}
	})
	t.Cleanup(func() { _ = conn.CloseNow() })
	go c.read()
	return c
}

func query(kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return q.Encode()
}

// dial connects and fails the test if the upgrade is refused.
func (s *system) dial(t *testing.T, rawQuery string) *client {
	t.Helper()
	c, status, body := s.tryDial(t, rawQuery)
	require.NotNil(t, c, "upgrade refused with %d: %s", status, body)
	return c
}

// tryDial connects; on a refused upgrade it returns the status and body.
func (s *system) tryDial(t *testing.T, rawQuery string) (*client, int, map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, s.Gateway.URL()+"?"+rawQuery, nil)
	if err != nil {
		require.NotNil(t, resp, "dial failed without a response: %v", err)
		var body map[string]any
		raw, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(raw, &body)
		if body != nil {
			assert.NoError(t, contract.ValidateServerMessage(raw), "a refusal's body is an error message of the contract")
		}
		return nil, resp.StatusCode, body
	}
	return newClient(t, conn), http.StatusSwitchingProtocols, nil
}

func (c *client) read() {
	defer close(c.closed)
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.err = err
			close(c.msgs)
			return
		}
		if err := contract.ValidateServerMessage(data); err != nil {
			c.mu.Lock()
			c.offContract = append(c.offContract, fmt.Sprintf("%v: %.300s", err, data))
			c.mu.Unlock()
		}
		var m map[string]any
		if json.Unmarshal(data, &m) != nil {
			m = map[string]any{"type": "<non-json>", "raw": string(data)}
		}
		c.msgs <- m
	}
}

// send writes a client frame, which must be one the contract describes.
func (c *client) send(v any) {
	c.t.Helper()
	data, err := json.Marshal(v)
	require.NoError(c.t, err)
	require.NoError(c.t, contract.ValidateClientMessage(data), "the test sends a frame off the contract")
	c.write(data)
}

// sendOffContract writes a frame as it is: the tests of refusals send what
// the contract does not allow on purpose.
func (c *client) sendOffContract(v any) {
	c.t.Helper()
	data, ok := v.([]byte)
	if !ok {
		var err error
		data, err = json.Marshal(v)
		require.NoError(c.t, err)
	}
	c.write(data)
}

func (c *client) write(data []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(c.t, c.conn.Write(ctx, websocket.MessageText, data))
}

// expect returns the next message, which must be of type typ.
func (c *client) expect(typ string) map[string]any {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			c.t.Fatalf("connection closed (%v) while waiting for %s", c.err, typ)
		}
		require.Equal(c.t, typ, m["type"], "unexpected message %v", m)
		return m
	case <-time.After(waitDeadline):
		c.t.Fatalf("no %s within %s", typ, waitDeadline)
		return nil
	}
}

// skipUntil returns the first message of type typ, dropping others.
func (c *client) skipUntil(typ string) map[string]any {
	c.t.Helper()
	deadline := time.After(waitDeadline)
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				c.t.Fatalf("connection closed (%v) while waiting for %s", c.err, typ)
			}
			if m["type"] == typ {
				return m
			}
		case <-deadline:
			c.t.Fatalf("no %s within %s", typ, waitDeadline)
		}
	}
}

// expectClosed waits until the server closes the connection and returns
// the close status.
func (c *client) expectClosed() websocket.StatusCode {
	c.t.Helper()
	select {
	case <-c.closed:
		return websocket.CloseStatus(c.err)
	case <-time.After(waitDeadline):
		c.t.Fatalf("connection still open after %s", waitDeadline)
		return 0
	}
}

// quiet asserts nothing arrives for a short while.
func (c *client) quiet(d time.Duration) {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if ok {
			c.t.Fatalf("unexpected message %v", m)
		}
	case <-time.After(d):
	}
}

func (c *client) close() {
	_ = c.conn.Close(websocket.StatusNormalClosure, "bye")
}

// speaker creates a session and returns the speaker and the session id.
func (s *system) speaker(t *testing.T, sub string) (*client, string) {
	t.Helper()
	c := s.dial(t, query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", s.token(t, sub)))
	m := c.expect("sessionCreated")
	return c, m["sessionId"].(string)
}

// listener joins sessionID in lang and consumes its welcome.
func (s *system) listener(t *testing.T, sessionID, lang string) *client {
	t.Helper()
	c := s.dial(t, query("action", "joinSession", "sessionId", sessionID, "targetLanguage", lang))
	c.expect("sessionJoined")
	return c
}

// session reads the stored session.
func (s *system) session(t *testing.T, id string) sessionView {
	t.Helper()
	sess, err := s.Graph.Store.Sessions.Get(context.Background(), id)
	require.NoError(t, err)
	return sessionView{Active: sess.Active, Count: sess.ListenerCount, ByLanguage: sess.ByLanguage}
}

type sessionView struct {
	Active     bool
	Count      int
	ByLanguage map[string]int
}

// listenerRecords counts the listener records of a session.
func (s *system) listenerRecords(t *testing.T, id string) int {
	t.Helper()
	ls, err := s.Graph.Store.Connections.Listeners(context.Background(), id, "")
	require.NoError(t, err)
	return len(ls)
}

// eventually polls cond for up to 10 s.
// waitDeadline bounds every wait for a condition. It holds on a busy
// two-core machine where moto serves one request at a time; a condition that
// holds returns at once, so only a failing test pays it.
const waitDeadline = 60 * time.Second

func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, waitDeadline, 20*time.Millisecond, msg)
}

// dropTable deletes one of the system's tables behind its back.
func dropTable(t *testing.T, s *system, name string) {
	t.Helper()
	db := dynamo.New(s.awsCfg)
	require.NoError(t, db.Table(name).DeleteTable().Run(context.Background()))
}

// seedSession stores a live session directly, as if its speaker had
// connected earlier, and returns its id.
func seedSession(t *testing.T, s *system, id string) string {
	t.Helper()
	now := s.clock.Now()
	sess := session.Session{ID: id, SpeakerConnectionID: "seed-speaker-" + id, SpeakerUserID: "seed", SourceLanguage: "en", QualityTier: "standard",
		CreatedAt: now, ExpiresAt: now.Add(time.Hour), Active: true, ByLanguage: map[string]int{}}
	spk := session.Connection{ID: sess.SpeakerConnectionID, SessionID: id, Role: session.RoleSpeaker, UserID: "seed", ConnectedAt: now, LastSeenAt: now}
	require.NoError(t, s.Graph.Store.Sessions.Create(context.Background(), sess, spk))
	return id
}

// speakerConnection reads the current speaker connection id of a session.
func (s *system) speakerConnection(t *testing.T, id string) string {
	t.Helper()
	sess, err := s.Graph.Store.Sessions.Get(context.Background(), id)
	require.NoError(t, err)
	return sess.SpeakerConnectionID
}

// freshWindow moves the clock just past the start of the next rate-limit
// window of length w, so a test's requests all land in one window.
func (s *system) freshWindow(w time.Duration) {
	now := s.clock.Now()
	s.clock.Advance(now.Truncate(w).Add(w + time.Second).Sub(now))
}
