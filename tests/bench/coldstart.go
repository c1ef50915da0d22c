package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/guregu/dynamo/v2"

	"github.com/livecast/sessions/app"
	"github.com/livecast/sessions/local/lambdaruntime"
	"github.com/livecast/sessions/store"
)

// coldResult is the binary's cold start: process start → first poll of the
// Runtime API (initialisation: configuration, AWS clients, graph), and
// process start → first answer (a listener's $connect, which reads and
// writes DynamoDB but must not fetch the JWKS).
type coldResult struct {
	Runs        int      `json:"runs"`
	BinaryMB    float64  `json:"binary_mb"`
	InitP50     float64  `json:"init_p50_ms"`
	InitP95     float64  `json:"init_p95_ms"`
	FirstP50    float64  `json:"first_answer_p50_ms"`
	FirstP95    float64  `json:"first_answer_p95_ms"`
	FirstP99    float64  `json:"first_answer_p99_ms"`
	FirstStatus int      `json:"first_status"`
	Outbound    []string `json:"outbound_requests"` // requests that tried to leave the machine (none expected)
}

func (c *coldResult) line() string {
	return fmt.Sprintf("cold_start n=%d init_p50_ms=%s init_p95_ms=%s first_answer_p50_ms=%s first_answer_p95_ms=%s first_answer_p99_ms=%s binary_mb=%.1f outbound_requests=%d",
		c.Runs, num(c.InitP50), num(c.InitP95), num(c.FirstP50), num(c.FirstP95), num(c.FirstP99), c.BinaryMB, len(c.Outbound))
}

// scenarioColdStart builds the binary and starts it N times in Lambda mode
// behind a Runtime API stand-in; each process answers one listener join for
// an unknown session (404). Every request that would leave the machine (the
// Cognito JWKS, STS, ...) goes to a recording proxy that refuses it.
func (b *bench) scenarioColdStart(ctx context.Context) error {
	const sc = "coldstart"
	n := b.flags.coldStarts
	if n <= 0 {
		return nil
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-coldstart")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bootstrap")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build the binary: %v\n%s", err, out)
	}
	info, err := os.Stat(bin)
	if err != nil {
		return err
	}

	prefix := fmt.Sprintf("bench%d-cold-", time.Now().UnixNano())
	tables := store.Tables{Sessions: prefix + "Sessions", Connections: prefix + "Connections", RateLimits: prefix + "RateLimits"}
	awsCfg, err := app.LoadAWS(ctx, "us-east-1", true)
	if err != nil {
		return err
	}
	st := store.New(dynamo.New(awsCfg), store.Config{Tables: tables})
	if err := st.CreateTables(ctx); err != nil {
		return err
	}
	defer func() { _ = st.DeleteTables(context.Background()) }()

	proxy := &outboundRecorder{}
	proxySrv := httptest.NewServer(proxy)
	defer proxySrv.Close()

	var inits, firsts []time.Duration
	res := &coldResult{Runs: n, BinaryMB: float64(info.Size()) / (1 << 20)}
	for i := range n {
		init, first, status, err := coldStartOnce(bin, i, tables, proxySrv.URL)
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		res.FirstStatus = status
		inits, firsts = append(inits, init), append(firsts, first)
	}
	b.expect(sc, "a join for an unknown session is answered 404 SESSION_NOT_FOUND", nil)
	slices.Sort(inits)
	slices.Sort(firsts)
	res.InitP50, res.InitP95 = ms(percentile(inits, 50)), ms(percentile(inits, 95))
	res.FirstP50, res.FirstP95, res.FirstP99 = ms(percentile(firsts, 50)), ms(percentile(firsts, 95)), ms(percentile(firsts, 99))
	res.Outbound = proxy.seen()
	var outErr error
	if len(res.Outbound) > 0 {
		outErr = fmt.Errorf("requests left the machine: %v", res.Outbound)
	}
	b.expect(sc, "no JWKS (nor any other outside) request on the listener path", outErr)
	b.cold = res
	fmt.Fprintln(b.out, res.line())
	return nil
}

// coldStartOnce starts the binary, hands it one listener join and returns
// the time to its first poll and to its answer.
func coldStartOnce(bin string, i int, tables store.Tables, proxyURL string) (init, first time.Duration, status int, err error) {
	rt := lambdaruntime.New("arn:aws:lambda:us-east-1:123456789012:function:sessions-bench")
	api := httptest.NewServer(rt)
	defer api.Close()
	ev, err := connectEvent(fmt.Sprintf("cold-conn-%d", i), map[string]string{"action": "joinSession", "sessionId": "holy-lamb-101", "targetLanguage": "es"})
	if err != nil {
		return 0, 0, 0, err
	}
	rt.Queue(ev)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(api.URL, "http://"),
		"AWS_LAMBDA_FUNCTION_NAME=sessions-bench",
		"USER_POOL_ID=us-east-1_bench", "CLIENT_ID=bench-client",
		"WEBSOCKET_ENDPOINT=http://127.0.0.1:9/local",
		"SESSIONS_TABLE="+tables.Sessions, "CONNECTIONS_TABLE="+tables.Connections, "RATE_LIMITS_TABLE="+tables.RateLimits,
		"LOG_LEVEL=error",
		// Loopback (DynamoDB, the Runtime API) never goes through a proxy.
		"HTTPS_PROXY="+proxyURL, "HTTP_PROXY="+proxyURL, "NO_PROXY=",
	)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	resp, fnErr, err := rt.Await(30 * time.Second)
	first = time.Since(start)
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err != nil {
		return 0, 0, 0, err
	}
	if len(fnErr) > 0 {
		return 0, 0, 0, fmt.Errorf("function error %s", fnErr)
	}
	var r events.APIGatewayProxyResponse
	if err := json.Unmarshal(resp, &r); err != nil {
		return 0, 0, 0, err
	}
	if r.StatusCode != http.StatusNotFound || !strings.Contains(r.Body, "SESSION_NOT_FOUND") {
		return 0, 0, 0, fmt.Errorf("answered %d %s, want 404 SESSION_NOT_FOUND", r.StatusCode, r.Body)
	}
	return rt.FirstPoll().Sub(start), first, r.StatusCode, nil
}

// connectEvent is a $connect as API Gateway sends it.
func connectEvent(connID string, q map[string]string) ([]byte, error) {
	now := time.Now()
	return json.Marshal(events.APIGatewayWebsocketProxyRequest{
		QueryStringParameters: q,
		RequestContext: events.APIGatewayWebsocketProxyRequestContext{
			RouteKey: "$connect", EventType: "CONNECT", ConnectionID: connID, Stage: "local", APIID: "bench",
			DomainName: "127.0.0.1", RequestID: fmt.Sprintf("req-%d", now.UnixNano()),
			ConnectedAt: now.UnixMilli(), RequestTimeEpoch: now.UnixMilli(),
			Identity: events.APIGatewayRequestIdentity{SourceIP: "203.0.113.9"},
		},
	})
}

// outboundRecorder is an HTTP(S) proxy that refuses everything and
// remembers what was asked of it.
type outboundRecorder struct {
	mu   sync.Mutex
	reqs []string
}

func (o *outboundRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	o.reqs = append(o.reqs, r.Method+" "+r.Host)
	o.mu.Unlock()
	http.Error(w, "no outside access during the benchmark", http.StatusForbidden)
}

func (o *outboundRecorder) seen() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.reqs...)
}

// moduleRoot finds the directory of this module's go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(data), "module github.com/livecast/sessions\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run the bench from inside the module (go.mod of github.com/livecast/sessions not found)")
		}
		dir = parent
	}
}
