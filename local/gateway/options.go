package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Options configures a Server. The zero value gives API Gateway's defaults.
type Options struct {
	// Addr is the listen address; "" means "127.0.0.1:0" (loopback, free port),
	// so a developer machine never exposes the emulator by accident.
	Addr string
	// Stage is the stage name put in events; "" means "local". Clients may use
	// any path (ws://host/<anything>?query, or "/" alone): like a custom domain
	// with a base path mapping, the path does not select anything.
	Stage string
	// IdleTimeout closes a connection (1001) after this long without a client
	// message; server-sent messages and control frames do not count. 0 → 10 min.
	IdleTimeout time.Duration
	// MaxDuration closes a connection (1001) once it is this old. 0 → 2 h.
	MaxDuration time.Duration
	// FrameLimit: a client frame with a larger payload closes the connection
	// with 1009 and its message is not routed. 0 → 32 KiB.
	FrameLimit int
	// MessageLimit: a client message larger than this closes the connection
	// with 1009. It also bounds @connections POST bodies (413). 0 → 128 KiB.
	MessageLimit int
	// Routes are the custom route keys the product declares (selected by
	// $request.body.action). Actions not listed go to $default. Keys may not
	// be empty or start with "$": $connect, $disconnect and $default are implied.
	Routes []string
	// Extra serves plain-HTTP requests that are neither WebSocket upgrades nor
	// @connections calls (e.g. /.well-known/jwks.json, /dev/token). nil → 426.
	Extra http.Handler
	// Logger receives the emulator's own diagnostics. nil → discard.
	Logger *slog.Logger
	// Now is the clock for event timestamps and GetConnection. nil → time.Now.
	// The idle and age limits run on real timers: tests use tiny durations.
	Now func() time.Time
	// HandlerTimeout bounds each invocation, like API Gateway's integration
	// timeout. 0 → 29 s.
	HandlerTimeout time.Duration
	// Faults add AWS's @connections latency and failures (faults.go);
	// the zero value adds none.
	Faults Faults
}

// Defaults mirror API Gateway's WebSocket quotas.
const (
	defaultAddr           = "127.0.0.1:0"
	defaultStage          = "local"
	defaultIdleTimeout    = 10 * time.Minute
	defaultMaxDuration    = 2 * time.Hour
	defaultFrameLimit     = 32 << 10
	defaultMessageLimit   = 128 << 10
	defaultHandlerTimeout = 29 * time.Second

	// closeGrace bounds how long Close waits for $disconnect invocations and
	// close handshakes before cancelling them, so Close never hangs.
	closeGrace = 10 * time.Second
	// abandonGrace bounds the wait for invocations after their context was
	// cancelled; only a handler that ignores its context outlives it.
	abandonGrace = 2 * time.Second
)

func (o Options) withDefaults() (Options, error) {
	if o.Addr == "" {
		o.Addr = defaultAddr
	}
	if o.Stage == "" {
		o.Stage = defaultStage
	}
	if strings.ContainsAny(o.Stage, "/?#") {
		return o, fmt.Errorf("gateway: stage %q must be a single path segment", o.Stage)
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = defaultIdleTimeout
	}
	if o.MaxDuration == 0 {
		o.MaxDuration = defaultMaxDuration
	}
	if o.FrameLimit == 0 {
		o.FrameLimit = defaultFrameLimit
	}
	if o.MessageLimit == 0 {
		o.MessageLimit = defaultMessageLimit
	}
	if o.HandlerTimeout == 0 {
		o.HandlerTimeout = defaultHandlerTimeout
	}
	if o.IdleTimeout < 0 || o.MaxDuration < 0 || o.FrameLimit < 0 || o.MessageLimit < 0 || o.HandlerTimeout < 0 {
		return o, errors.New("gateway: durations and limits must not be negative")
	}
	if err := o.Faults.validate(); err != nil {
		return o, err
	}
	for _, r := range o.Routes {
		if r == "" || strings.HasPrefix(r, "$") {
			return o, fmt.Errorf("gateway: route key %q: custom routes must be non-empty and not start with $", r)
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}
