package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/guregu/dynamo/v2"

	"github.com/livecast/sessions/app"
	"github.com/livecast/sessions/audiostream"
	"github.com/livecast/sessions/local"
	"github.com/livecast/sessions/local/gateway"
	"github.com/livecast/sessions/store"
)

// system is the whole service on loopback, built as `sessions local` builds
// it, with its own tables (moto's transactions copy whole tables, so small
// tables keep latencies honest), a DynamoDB request counter, and an
// inspector: a second store without the counter, so checks do not disturb
// the counts.
type system struct {
	name      string
	local     *local.System
	cfg       app.Config
	awsCfg    aws.Config
	trips     *store.RoundTrips
	kinesis   *audiostream.Requests
	outside   atomic.Int64 // requests outside any gateway invocation (sweeps, scheduled welcomes)
	inspect   *store.Store
	db        *dynamo.DB
	logs      *logTally
	emf       *emfTally // the service's EMF metrics, summed
	userSeq   atomic.Int64
	closeOnce sync.Once
}

// emulatorHTTPClient replaces, for the bench only, the product's DynamoDB
// HTTP client (3 s per attempt, unbounded connections). moto_server answers
// one request at a time over HTTP/1.0 with a 128-deep accept queue: 500
// handlers at once overflow the queue (connection resets) and wait longer
// than 3 s, which the product rightly reports as an outage. Real DynamoDB
// serves them in parallel in milliseconds; here the requests queue in the
// client instead, so the bench measures the service, not the emulator's
// accept queue. -production-client keeps the product's client.
func emulatorHTTPClient() aws.HTTPClient {
	return awshttp.NewBuildableClient().
		WithTimeout(60 * time.Second).
		WithTransportOptions(func(t *http.Transport) { t.MaxConnsPerHost = 16 })
}

// baseEnv is the configuration every scenario starts from: limits that 1000
// clients from one IP do not hit, and no sweep unless a scenario wants one
// (its scans would blur the per-operation counts).
func (b *bench) baseEnv() map[string]string {
	return map[string]string{
		"AWS_REGION":                             "us-east-1",
		"RATE_LIMIT_LISTENER_JOINS_PER_MIN":      "1000000",
		"RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN": "1000000",
		"RATE_LIMIT_SESSIONS_PER_HOUR":           "1000000",
		"RATE_LIMIT_HEARTBEATS_PER_MIN":          fmt.Sprint(b.flags.heartbeatLimit),
		"MAX_LISTENERS_PER_SESSION":              fmt.Sprint(b.flags.capacity),
		"SWEEP_INTERVAL_SECONDS":                 "86400",
		"HEARTBEAT_TIMEOUT_SECONDS":              "3600",
		"LOG_LEVEL":                              "warn",
	}
}

// startSystem starts a local system named for its scenario; env overrides
// baseEnv.
func (b *bench) startSystem(ctx context.Context, name string, env map[string]string) (*system, error) {
	return b.startSystemWith(ctx, name, env, systemOptions{})
}

// systemOptions are a scenario's departures from the plain system.
type systemOptions struct {
	// loopbackPoll, when positive, has the audio loopback stand in for the
	// translation pipeline, reading each shard every loopbackPoll.
	loopbackPoll time.Duration
	// dynamoEndpoint, when set, receives the service's DynamoDB requests (a
	// contention stand-in) instead of the emulator; the inspector still
	// reads the emulator directly, so its checks neither count as the
	// service's requests nor meet the stand-in.
	dynamoEndpoint string
	// faults add @connections latency (and 410/429 answers) to the gateway.
	faults gateway.Faults
}

// startSystemWith is startSystem with options.
func (b *bench) startSystemWith(ctx context.Context, name string, env map[string]string, o systemOptions) (*system, error) {
	vars := b.baseEnv()
	prefix := fmt.Sprintf("bench%d-%s-", time.Now().UnixNano(), name)
	vars["SESSIONS_TABLE"], vars["CONNECTIONS_TABLE"], vars["RATE_LIMITS_TABLE"] = prefix+"Sessions", prefix+"Connections", prefix+"RateLimits"
	vars["AUDIO_STREAM_NAME"] = prefix + "Audio"
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := app.FromEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	if err != nil {
		return nil, err
	}
	cfg.Session.FanoutWorkers = b.flags.fanoutWorkers
	awsCfg, err := app.LoadAWS(ctx, cfg.Region, true)
	if err != nil {
		return nil, err
	}
	var audioRetry audiostream.Retry
	s := &system{name: name, cfg: cfg, awsCfg: awsCfg, trips: &store.RoundTrips{}, kinesis: &audiostream.Requests{}, logs: &logTally{}, emf: &emfTally{}}
	dynamoOptions := []func(*dynamodb.Options){s.trips.Option(), dbTimer(&s.outside)}
	kinesisOptions := []func(*kinesis.Options){s.kinesis.Option()}
	var inspectorOptions []func(*dynamodb.Options)
	if !b.flags.productionClient {
		// The emulators' clients only: @connections posts to the local
		// gateway keep the product's client.
		emulated := emulatorHTTPClient()
		useEmulated := func(o *dynamodb.Options) { o.HTTPClient = emulated }
		dynamoOptions = append(dynamoOptions, useEmulated)
		inspectorOptions = append(inspectorOptions, useEmulated)
		kinesisOptions = append(kinesisOptions, func(o *kinesis.Options) { o.HTTPClient = emulated })
		// Likewise a put waits for the emulator rather than retrying after
		// the product's 1 s: a retry whose first attempt landed repeats the
		// chunk, and adds to the queue it timed out in.
		audioRetry = audiostream.Retry{AttemptTimeout: time.Minute, Budget: time.Minute}
	}
	if o.dynamoEndpoint != "" {
		// After the SDK's own resolution, which prefers AWS_ENDPOINT_URL_DYNAMODB.
		dynamoOptions = append(dynamoOptions, func(do *dynamodb.Options) { do.BaseEndpoint = aws.String(o.dynamoEndpoint) })
	}
	level := cfg.LogLevel
	logger := slog.New(slog.NewJSONHandler(multiWriter{b.logFile, s.logs}, &slog.HandlerOptions{Level: level}))
	s.local, err = local.Start(ctx, cfg, awsCfg, local.Options{
		Logger:            logger,
		ClientID:          "bench-client",
		WrapHandler:       b.rec.wrap,
		DynamoOptions:     dynamoOptions,
		KinesisOptions:    kinesisOptions,
		AudioLoopback:     o.loopbackPoll > 0,
		LoopbackPoll:      o.loopbackPoll,
		AudioRetry:        audioRetry,
		Metrics:           s.emf,
		ConnectionsFaults: o.faults,
	})
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s.db = dynamo.New(awsCfg, inspectorOptions...)
	s.inspect = store.New(s.db, store.Config{Tables: cfg.Tables})
	return s, nil
}

// close stops the system and drops its tables.
func (s *system) close() error {
	var err error
	s.closeOnce.Do(func() {
		ctx := context.Background()
		err = errors.Join(s.local.Close(), s.local.Graph.Store.DeleteTables(ctx), s.local.Graph.AudioStream.Delete(ctx))
	})
	return err
}

func (s *system) url() string { return s.local.Gateway.URL() }

// speaker creates a session for a fresh user and waits for sessionCreated.
func (s *system) speaker(ctx context.Context) (*client, error) {
	tok, err := s.token()
	if err != nil {
		return nil, err
	}
	c, err := dial(ctx, s.url(), query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", tok))
	if err != nil {
		return nil, fmt.Errorf("create: %w", err)
	}
	if err := c.waitCount("sessionCreated", 1, 30*time.Second); err != nil {
		return nil, err
	}
	return c, nil
}

func (s *system) token() (string, error) {
	return s.tokenFor(fmt.Sprintf("speaker-%d", s.userSeq.Add(1)))
}

func (s *system) tokenFor(sub string) (string, error) {
	return s.local.Issuer.Mint(sub, "", time.Hour)
}

// listener joins a session and waits for sessionJoined.
func (s *system) listener(ctx context.Context, sessionID, lang string) (*client, error) {
	c, err := dial(ctx, s.url(), query("action", "joinSession", "sessionId", sessionID, "targetLanguage", lang))
	if err != nil {
		return nil, err
	}
	if err := c.waitCount("sessionJoined", 1, 30*time.Second); err != nil {
		return nil, err
	}
	return c, nil
}

// quiesce waits until no DynamoDB request has been made for quiet, so a
// phase's delta includes the asynchronous welcomes it caused.
func (s *system) quiesce(quiet time.Duration) {
	last, since := s.trips.Count(), time.Now()
	for time.Since(since) < quiet {
		time.Sleep(quiet / 10)
		if n := s.trips.Count(); n != last {
			last, since = n, time.Now()
		}
	}
}

// connectionRecords counts every item of the Connections table.
func (s *system) connectionRecords(ctx context.Context) (int, error) {
	n, err := s.db.Table(s.cfg.Tables.Connections).Scan().Consistent(true).Count(ctx)
	return int(n), err
}

// logTally counts the service's warnings and errors and remembers a few
// messages that mean an invariant was repaired behind our back.
type logTally struct {
	mu         sync.Mutex
	warn, errs int
	reconciled int
	samples    []string
}

func (l *logTally) Write(p []byte) (int, error) {
	line := string(p)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case strings.Contains(line, `"level":"ERROR"`):
		l.errs++
	case strings.Contains(line, `"level":"WARN"`):
		l.warn++
	}
	if strings.Contains(line, "listener count reconciled") {
		l.reconciled++
	}
	if (strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, `"level":"WARN"`)) && len(l.samples) < 5 {
		l.samples = append(l.samples, strings.TrimSpace(line))
	}
	return len(p), nil
}

func (l *logTally) snapshot() (warn, errs, reconciled int, samples []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.warn, l.errs, l.reconciled, append([]string(nil), l.samples...)
}

type multiWriter []interface{ Write([]byte) (int, error) }

func (m multiWriter) Write(p []byte) (int, error) {
	for _, w := range m {
		if w != nil {
			_, _ = w.Write(p)
		}
	}
	return len(p), nil
}
