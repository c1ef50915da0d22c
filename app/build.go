package app

import (
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/guregu/dynamo/v2"

	"github.com/livecast/sessions/audiostream"
	"github.com/livecast/sessions/auth"
	"github.com/livecast/sessions/router"
	"github.com/livecast/sessions/session"
	"github.com/livecast/sessions/store"
)

// Parts are the pieces a mode provides to the common graph.
type Parts struct {
	AWS                aws.Config
	ManagementEndpoint string         // base URL of the @connections API
	Verifier           *auth.Verifier // Cognito (or the local issuer)
	Scheduler          router.Scheduler
	Logger             *slog.Logger
	Metrics            io.Writer // EMF lines; nil: none
	Now                func() time.Time
	// DynamoOptions are extra client options (tests count round trips).
	DynamoOptions []func(*dynamodb.Options)
	// KinesisOptions are extra options of the audio stream's client.
	KinesisOptions []func(*kinesis.Options)
	// AudioRetry bounds the retries of an audio put; zero: the product's.
	AudioRetry audiostream.Retry
}

// Graph is the assembled service.
type Graph struct {
	Router      *router.Router
	Service     *session.Service
	Store       *store.Store
	Audio       *session.AudioIngress
	AudioStream *audiostream.Stream
}

// Build wires store, service and router from cfg and p. Nothing here does
// I/O: a cold start pays only for building clients.
func Build(cfg Config, p Parts) Graph {
	if p.Now == nil {
		p.Now = time.Now
	}
	db := dynamo.New(p.AWS, p.DynamoOptions...)
	st := store.New(db, store.Config{
		Tables:                cfg.Tables,
		ConnectionMaxDuration: cfg.Session.ConnectionMaxDuration,
		RetentionBuffer:       cfg.Session.RetentionBuffer,
	})
	mgmt := apigatewaymanagementapi.NewFromConfig(p.AWS, func(o *apigatewaymanagementapi.Options) {
		o.BaseEndpoint = aws.String(p.ManagementEndpoint)
		o.Retryer = router.ManagementRetryer()
	})
	messenger := router.NewMessenger(mgmt, p.Now)
	var pages session.PageScheduler
	if p.Scheduler != nil {
		pages = router.PageScheduler{Scheduler: p.Scheduler, Now: p.Now}
	}
	// The stream carries the audio and, in order with it, what the pipeline
	// must know of each session (session.PipelineEvents).
	stream := audiostream.New(audiostream.NewClient(p.AWS, p.KinesisOptions...), cfg.AudioStreamName, p.AudioRetry)
	svc := session.New(cfg.Session, session.Deps{
		Sessions: st.Sessions, Connections: st.Connections, Scans: st, Limiter: st, Messenger: messenger, Verifier: speakerTokens{p.Verifier}, Pipeline: stream, Now: p.Now, Logger: p.Logger,
		Pages: pages,
	})
	audio := session.NewAudioIngress(cfg.Audio, session.AudioDeps{Sessions: st.Sessions, Sequences: st.Sessions, Sink: stream, Now: p.Now})
	rt := router.New(router.Options{
		Service: svc, Audio: audio, Messenger: messenger, Scheduler: p.Scheduler, Logger: p.Logger, Now: p.Now,
		Metrics: router.NewMetrics(p.Metrics, cfg.MetricsNamespace, p.Now),
	})
	return Graph{Router: rt, Service: svc, Store: st, Audio: audio, AudioStream: stream}
}

// NewLogger returns the JSON logger every mode uses.
func NewLogger(w interface{ Write([]byte) (int, error) }, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}
