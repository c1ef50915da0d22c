package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"sync/atomic"
	"time"
)

// Service runs every session operation. It is safe for concurrent use: one
// Lambda process serves several invocations at once.
type Service struct {
	cfg         Config
	sessions    Sessions
	conns       Connections
	scans       SweepScans
	limiter     Limiter
	messenger   Messenger
	verifier    TokenVerifier
	pipeline    PipelineEvents
	now         func() time.Time
	sleep       func(context.Context, time.Duration) error
	pages       PageScheduler
	log         *slog.Logger
	words       idWords
	sourceLangs map[string]bool
	targetLangs map[string]bool
	limitsDown  atomic.Bool // the rate-limit table is unavailable and limits are skipped
	audiences   *audiences  // broadcasts' listeners, per session and language
}

// Deps are the service's collaborators.
type Deps struct {
	Sessions    Sessions
	Connections Connections
	Scans       SweepScans
	Limiter     Limiter
	Messenger   Messenger
	Verifier    TokenVerifier
	// Pipeline hears of openings, language sets, pauses and ends (nil: nobody).
	Pipeline PipelineEvents
	Now      func() time.Time // nil: time.Now
	// Sleep waits between retries of a throttled post (nil: a timer); tests
	// replace it with one that moves their clock.
	Sleep  func(ctx context.Context, d time.Duration) error
	Pages  PageScheduler // nil: every page is posted by the invocation that has it
	Logger *slog.Logger  // nil: discard
}

// New builds a Service; cfg's zero fields take DefaultConfig's values.
func New(cfg Config, d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Pipeline == nil {
		d.Pipeline = noPipeline{}
	}
	if d.Sleep == nil {
		d.Sleep = sleepContext
	}
	return &Service{
		cfg:         cfg.withDefaults(),
		sessions:    d.Sessions,
		conns:       d.Connections,
		scans:       d.Scans,
		limiter:     d.Limiter,
		messenger:   d.Messenger,
		verifier:    d.Verifier,
		pipeline:    d.Pipeline,
		now:         d.Now,
		sleep:       d.Sleep,
		pages:       d.Pages,
		log:         d.Logger,
		words:       newIDWords(),
		sourceLangs: sourceLanguages(),
		targetLangs: targetLanguages(),
		audiences:   newAudiences(),
	}
}

// Config returns the effective configuration (defaults applied).
func (s *Service) Config() Config { return s.cfg }

// HashID is how connection ids and IPs appear in logs: SHA-256, shortened.
// Raw connection ids would let a log reader post to live connections.
func HashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:8])
}
