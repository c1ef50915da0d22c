package local

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/livecast/sessions/app"
	"github.com/livecast/sessions/audiostream"
	"github.com/livecast/sessions/auth"
	"github.com/livecast/sessions/clients/console"
	"github.com/livecast/sessions/local/gateway"
	"github.com/livecast/sessions/router"
)

// Options configure the whole system on one machine.
type Options struct {
	Addr          string          // gateway listen address; "" → 127.0.0.1:0
	IdleTimeout   time.Duration   // 0 → API Gateway's 10 min
	ClientID      string          // audience of locally minted tokens; "" → "local-client"
	IssuerKey     *rsa.PrivateKey // signing key of the local issuer; nil → a fresh one
	IssuerKeyID   string
	JWKSURL       string // where the verifier fetches keys; "" → this gateway's /.well-known/jwks.json
	Logger        *slog.Logger
	Metrics       io.Writer // EMF lines; nil: none
	Now           func() time.Time
	DynamoOptions []func(*dynamodb.Options)
	// KinesisOptions are extra options of the audio stream's client.
	KinesisOptions []func(*kinesis.Options)
	// AudioRetry bounds the retries of an audio put; zero: the product's.
	AudioRetry audiostream.Retry
	// AudioLoopback stands in for the translation pipeline: it reads the
	// audio stream and fans each chunk out, untranslated, to the session's
	// listeners (loopback.go).
	AudioLoopback bool
	// LoopbackPoll is the least time between two reads of a shard; 0 → 100 ms.
	LoopbackPoll time.Duration
	// LoopbackMaxAge is how old (since API Gateway took it) a chunk may be
	// when posted; older ones are dropped and counted stale. 0 → audio's
	// default, 1 s. Tests that hold every chunk's delivery on a loaded
	// machine give it more.
	LoopbackMaxAge time.Duration
	// ConnectionsFaults add AWS's @connections latency and 410/429 answers
	// to the local gateway (gateway.Faults); zero: none, as in `make run`.
	ConnectionsFaults gateway.Faults
	// WrapHandler, if set, wraps the handler the gateway invokes (benchmarks
	// time invocations with it); scheduled internal events are not wrapped.
	WrapHandler func(gateway.Handler) gateway.Handler
}

// System is the running local system: the API Gateway stand-in, a JWT issuer
// for speakers, and the same graph as on AWS behind them.
type System struct {
	Gateway *gateway.Server
	Issuer  *auth.Issuer
	Graph   app.Graph

	ctx     context.Context
	cancel  context.CancelFunc
	pending sync.WaitGroup
	// inFlight counts invocations running now, the gateway's and the
	// scheduled ones, so tests can wait for asynchronous work to finish.
	inFlight atomic.Int64
}

// InFlight reports how many invocations (gateway events and scheduled
// internal events) are running now; the periodic sweep is not counted.
func (l *System) InFlight() int64 { return l.inFlight.Load() }

// Start creates missing tables and the audio stream, and starts serving.
func Start(ctx context.Context, cfg app.Config, awsCfg aws.Config, o Options) (*System, error) {
	if o.ClientID == "" {
		o.ClientID = "local-client"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	l := &System{}
	l.ctx, l.cancel = context.WithCancel(context.WithoutCancel(ctx))

	// The gateway must listen before the issuer knows its own URL, so the
	// handler waits for the graph that is built right after.
	ready := make(chan struct{})
	var handler gateway.Handler = func(ctx context.Context, ev json.RawMessage) (json.RawMessage, error) {
		l.inFlight.Add(1)
		defer l.inFlight.Add(-1)
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return l.Graph.Router.Handle(ctx, ev)
	}
	if o.WrapHandler != nil {
		handler = o.WrapHandler(handler)
	}
	mux := http.NewServeMux()
	var routes []string
	for _, k := range router.RouteKeys() {
		if !strings.HasPrefix(k, "$") {
			routes = append(routes, k)
		}
	}
	gw, err := gateway.New(handler, gateway.Options{
		Addr: o.Addr, IdleTimeout: o.IdleTimeout, MaxDuration: cfg.Session.ConnectionMaxDuration,
		Routes: routes, Extra: mux, Logger: o.Logger, Now: o.Now, Faults: o.ConnectionsFaults,
	})
	if err != nil {
		return nil, fmt.Errorf("start local gateway: %w", err)
	}
	l.Gateway = gw
	if o.IssuerKey != nil {
		l.Issuer, err = auth.NewIssuerWithKey(gw.HTTPURL(), o.ClientID, o.IssuerKey, o.IssuerKeyID)
	} else {
		l.Issuer, err = auth.NewIssuer(gw.HTTPURL(), o.ClientID)
	}
	if err != nil {
		gw.Close()
		return nil, err
	}
	mux.Handle("/.well-known/jwks.json", l.Issuer.JWKSHandler())
	mux.Handle("/dev/token", l.Issuer.TokenHandler())
	// The console: the page at / and its assets, on GET only. WebSocket
	// upgrades never reach this mux (the gateway takes them on any path).
	page := console.Handler()
	mux.Handle("GET /{$}", page)
	mux.Handle("GET "+console.AssetsPrefix, page)

	l.Graph = app.Build(cfg, app.Parts{
		AWS:                awsCfg,
		ManagementEndpoint: gw.ManagementEndpoint(),
		Verifier:           auth.NewVerifier(auth.Config{Issuer: gw.HTTPURL(), ClientID: o.ClientID, JWKSURL: o.JWKSURL, Now: o.Now, MinRefreshInterval: time.Second}),
		Scheduler:          router.SchedulerFunc(l.schedule),
		Logger:             o.Logger,
		Metrics:            o.Metrics,
		Now:                o.Now,
		DynamoOptions:      o.DynamoOptions,
		KinesisOptions:     o.KinesisOptions,
		AudioRetry:         o.AudioRetry,
	})
	if err := l.Graph.Store.CreateTables(ctx); err != nil {
		gw.Close()
		return nil, err
	}
	if err := l.Graph.AudioStream.Create(ctx); err != nil {
		gw.Close()
		return nil, err
	}
	close(ready)
	l.pending.Add(1)
	go l.sweepEvery(cfg.SweepInterval, o.Now)
	if o.AudioLoopback {
		l.pending.Add(1)
		go l.loopback(o.LoopbackPoll, o.LoopbackMaxAge, o.Logger)
	}
	return l, nil
}

// sweepEvery stands in for the EventBridge schedule: the same scheduled
// event, through the same entry point.
func (l *System) sweepEvery(interval time.Duration, now func() time.Time) {
	defer l.pending.Done()
	if now == nil {
		now = time.Now
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-tick.C:
			ctx, cancel := context.WithTimeout(l.ctx, interval)
			_, _ = l.Graph.Router.Handle(ctx, router.ScheduledEvent(now())) // outcomes are logged by the router
			cancel()
		}
	}
}

// schedule runs an internal event the way Lambda's asynchronous invocation
// would: later, in its own invocation with its own deadline.
func (l *System) schedule(_ context.Context, event []byte) error {
	if l.ctx.Err() != nil {
		return errors.New("local system is shutting down")
	}
	l.pending.Add(1)
	l.inFlight.Add(1)
	go func() {
		defer l.pending.Done()
		defer l.inFlight.Add(-1)
		ctx, cancel := context.WithTimeout(l.ctx, 30*time.Second)
		defer cancel()
		_, _ = l.Graph.Router.Handle(ctx, event) // failures are logged by the router
	}()
	return nil
}

// Invoke calls the function directly, as the audio pipeline does on AWS.
func (l *System) Invoke(ctx context.Context, event []byte) (json.RawMessage, error) {
	return l.Graph.Router.Handle(ctx, event)
}

// Close stops the gateway (sending $disconnect for open connections) and
// waits for scheduled work.
func (l *System) Close() error {
	err := l.Gateway.Close()
	l.cancel()
	l.pending.Wait()
	return err
}
