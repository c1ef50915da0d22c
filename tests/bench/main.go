// Command bench measures the session service under load on one machine: the
// whole system in local mode (gateway, router, domain, store) against a local
// DynamoDB API (moto_server, started and stopped here), driven by real
// WebSocket clients. For each operation it reports the DynamoDB round trips
// it costs and its handler time (measured inside the process around the
// gateway's handler), checks the invariants after every scenario, measures
// the Lambda binary's cold start, and compares the round trips with the
// original design's. The join storms run twice: on local/ddbcontention,
// which cancels overlapping transactions as DynamoDB does, and on plain moto.
//
//	go run ./tests/bench [-duration 2m] [-scenarios joinstorm,join] [-out build/bench.json]
//
// It exits non-zero when an invariant breaks (a storm's outcomes among them)
// or a round-trip budget is exceeded; latency targets are reported as
// PASS/MISS only (a busy machine is not a regression).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/livecast/sessions/local/ddbcontention"
	"github.com/livecast/sessions/local/motoserver"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// flags are the bench's knobs; the defaults are the scenarios scaled
// to a 2-core machine.
type flags struct {
	duration          time.Duration
	heartbeatInterval time.Duration
	heartbeatLimit    int
	sessions          int
	perSession        int
	creates           int
	capacity          int
	overflow          int
	storm             int
	stormJoins        int
	stormCapacity     int
	spreadJoins       int
	spread            time.Duration
	hold              time.Duration
	fanout            []int
	serialFanout      int
	joinConcurrency   int
	dialConcurrency   int
	fanoutWorkers     int
	coldStarts        int
	audio             audioFlags
	broadcast         broadcastFlags
	productionClient  bool
	scenarios         map[string]bool
	out               string
	logPath           string
}

func parseFlags(args []string) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.DurationVar(&f.duration, "duration", 2*time.Minute, "how long the 20×25 sessions keep heartbeating")
	fs.DurationVar(&f.heartbeatInterval, "heartbeat-interval", 30*time.Second, "each client's heartbeat period (the original clients send every 30 s)")
	fs.IntVar(&f.heartbeatLimit, "heartbeat-limit", 0, "RATE_LIMIT_HEARTBEATS_PER_MIN; 0: enough for the interval (windows are calendar minutes: 30 s heartbeats can land 3 in one)")
	fs.IntVar(&f.sessions, "sessions", 20, "sessions in the heartbeat scenario")
	fs.IntVar(&f.perSession, "listeners", 25, "listeners per session in the heartbeat scenario (also its capacity)")
	fs.IntVar(&f.creates, "creates", 100, "concurrent session creations")
	fs.IntVar(&f.capacity, "capacity", 500, "MAX_LISTENERS_PER_SESSION of the single-session scenario, which joins fill")
	fs.IntVar(&f.overflow, "overflow", 50, "joins beyond capacity, all at once; each must get SESSION_FULL")
	fs.IntVar(&f.storm, "storm", 500, "connections closing at once in the disconnect storm")
	fs.IntVar(&f.stormJoins, "storm-joins", 150, "listeners joining one session at the same moment in the join storm (storm_<joins>_<capacity>)")
	fs.IntVar(&f.stormCapacity, "storm-capacity", 100, "capacity of the join storm's session; every seat must be taken, every other join SESSION_FULL")
	fs.IntVar(&f.spreadJoins, "spread-joins", 500, "listeners joining within -spread into a session of that capacity (storm_<n>_<s>s), who then leave at once")
	fs.DurationVar(&f.spread, "spread", 5*time.Second, "how long the spread join storm lasts")
	fs.DurationVar(&f.hold, "hold", ddbcontention.DefaultHold, "how long the contention stand-in's transactions hold their items")
	fanout := fs.String("fanout", "50,100,250", "listener counts of the extra speaker-leave runs (end_N); end_<capacity> comes from the join scenario")
	fs.IntVar(&f.serialFanout, "serial-fanout", 250, "also end a session of this many listeners with one fan-out worker, as the original design posted (0: skip)")
	fs.IntVar(&f.joinConcurrency, "join-concurrency", 1, "joins in flight in the measured join phase (op join)")
	fs.IntVar(&f.dialConcurrency, "dial-concurrency", 8, "dials in flight when filling the other sessions (the storm's are reported as join_c<N>)")
	fs.IntVar(&f.fanoutWorkers, "fanout-workers", 32, "session.Config.FanoutWorkers")
	fs.IntVar(&f.coldStarts, "coldstarts", 10, "starts of the Lambda binary for the cold-start measurement (0: skip)")
	fs.BoolVar(&f.productionClient, "production-client", false, "use the product's DynamoDB HTTP client as is (3 s per attempt, unbounded connections): storms then overflow moto_server's accept queue")
	fs.IntVar(&f.audio.sessions, "audio-sessions", 10, "speakers streaming audio at once in the audio scenario")
	fs.IntVar(&f.audio.listeners, "audio-listeners", 5, "listeners per session in the audio scenario")
	fs.Float64Var(&f.audio.rate, "audio-rate", 4, "chunks a second per speaker (the original client sends 4–10)")
	fs.IntVar(&f.audio.chunkBytes, "audio-chunk-bytes", 8000, "audio bytes per chunk (250 ms of 16 kHz 16-bit mono)")
	fs.DurationVar(&f.audio.duration, "audio-duration", time.Minute, "how long the speakers stream")
	fs.DurationVar(&f.audio.poll, "audio-poll", 200*time.Millisecond, "the loopback's least time between two reads of a shard (Kinesis allows five a second)")
	fs.IntVar(&f.broadcast.listeners, "broadcast-listeners", 500, "listeners of one language in the broadcast scenario (broadcast_<N>)")
	fs.Float64Var(&f.broadcast.rate, "broadcast-rate", 10, "chunks a second from the broadcast scenario's speaker")
	fs.IntVar(&f.broadcast.chunkBytes, "broadcast-chunk-bytes", 3200, "audio bytes per chunk (100 ms of 16 kHz 16-bit mono)")
	fs.DurationVar(&f.broadcast.duration, "broadcast-duration", time.Minute, "how long the broadcast scenario's speaker streams, per run")
	latencies := fs.String("broadcast-post-latency", "0ms,20ms", "@connections latencies of the broadcast scenario's runs (AWS: model 20ms)")
	only := fs.String("scenarios", "create,join,sustain,storm,joinstorm,fanout,audio,broadcast,coldstart", "scenarios to run, comma-separated")
	fs.StringVar(&f.out, "out", "build/bench.json", "JSON results")
	fs.StringVar(&f.logPath, "log", "build/bench.log", "the service's warn/error log lines")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	f.scenarios = map[string]bool{}
	for s := range strings.SplitSeq(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			f.scenarios[s] = true
		}
	}
	for s := range strings.SplitSeq(*fanout, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		var n int
		if _, err := fmt.Sscan(s, &n); err != nil || n < 1 {
			return f, fmt.Errorf("-fanout: bad count %q", s)
		}
		f.fanout = append(f.fanout, n)
	}
	for s := range strings.SplitSeq(*latencies, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || d < 0 {
			return f, fmt.Errorf("-broadcast-post-latency: bad latency %q", s)
		}
		f.broadcast.latencies = append(f.broadcast.latencies, d)
	}
	if f.heartbeatInterval <= 0 {
		return f, fmt.Errorf("-heartbeat-interval must be positive")
	}
	if f.heartbeatLimit <= 0 {
		f.heartbeatLimit = int(math.Ceil(float64(time.Minute)/float64(f.heartbeatInterval))) + 1
	}
	for _, n := range []int{f.capacity, f.perSession, f.sessions, f.creates, f.storm, f.overflow, f.joinConcurrency, f.dialConcurrency, f.fanoutWorkers, f.stormJoins, f.stormCapacity, f.spreadJoins} {
		if n < 1 {
			return f, fmt.Errorf("counts and concurrencies must be positive")
		}
	}
	if f.stormCapacity > f.stormJoins {
		return f, fmt.Errorf("-storm-capacity (%d) must not exceed -storm-joins (%d): the storm must overflow", f.stormCapacity, f.stormJoins)
	}
	if f.hold <= 0 || f.spread < 0 {
		return f, fmt.Errorf("-hold must be positive and -spread not negative")
	}
	return f, nil
}

// bench is one run: the flags, the shared recorder, and what was measured.
type bench struct {
	flags    flags
	out      io.Writer
	rec      *recorder
	logFile  *os.File
	endpoint string

	mu       sync.Mutex
	ops      []*opResult
	verdicts []verdict
	notes    []string
	cold     *coldResult
	timings  []scenarioTiming
}

type scenarioTiming struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	Err     string  `json:"error,omitempty"`
}

func run(args []string, out io.Writer) error {
	f, err := parseFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	for _, p := range []string{f.out, f.logPath} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
	}
	logFile, err := os.Create(f.logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()

	b := &bench{flags: f, out: out, rec: newRecorder(), logFile: logFile}
	b.endpoint = os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
	if b.endpoint == "" {
		moto, err := motoserver.Start()
		if err != nil {
			return err
		}
		defer moto.Stop()
		b.endpoint = moto.URL
	}
	// Kinesis gets an emulator of its own: on AWS the two are separate
	// services, and one single-threaded moto_server serving both would make
	// the audio's puts and reads queue behind the fan-out's queries.
	kinesisEndpoint := os.Getenv("AWS_ENDPOINT_URL_KINESIS")
	if kinesisEndpoint == "" && (f.scenarios["audio"] || f.scenarios["broadcast"]) {
		moto, err := motoserver.Start()
		if err != nil {
			return err
		}
		defer moto.Stop()
		kinesisEndpoint = moto.URL
	}
	if kinesisEndpoint == "" {
		kinesisEndpoint = b.endpoint // local mode creates its stream even when no scenario uses it
	}
	// The SDK reads these from the environment, as in local mode.
	for k, v := range map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": b.endpoint, "AWS_ENDPOINT_URL_KINESIS": kinesisEndpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1"} {
		if err := os.Setenv(k, v); err != nil {
			return err
		}
	}
	client := "bench client: 16 connections, 60 s per attempt"
	if f.productionClient {
		client = "the product's client"
	}
	fmt.Fprintf(out, "bench: DynamoDB API %s (moto_server, single-threaded; %s); fan-out workers %d; join concurrency %d, setup dials %d; heartbeat every %v for %v (limit %d/min)\n",
		b.endpoint, client, f.fanoutWorkers, f.joinConcurrency, f.dialConcurrency, f.heartbeatInterval, f.duration, f.heartbeatLimit)

	scenarios := []struct {
		name string
		run  func(context.Context) error
	}{
		{"create", b.scenarioCreate},
		{"join", b.scenarioJoinAndEnd},
		{"sustain", b.scenarioSustain},
		{"storm", b.scenarioStorm},
		{"joinstorm", b.scenarioJoinStorm},
		{"fanout", b.scenarioFanout},
		{"audio", b.scenarioAudio},
		{"broadcast", b.scenarioBroadcast},
		{"coldstart", b.scenarioColdStart},
	}
	failed := false
	for _, sc := range scenarios {
		if !f.scenarios[sc.name] || ctx.Err() != nil {
			continue
		}
		fmt.Fprintf(out, "--- scenario %s\n", sc.name)
		start := time.Now()
		err := sc.run(ctx)
		t := scenarioTiming{Name: sc.name, Seconds: math.Round(time.Since(start).Seconds()*10) / 10}
		if err != nil {
			failed = true
			t.Err = err.Error()
			fmt.Fprintf(out, "SCENARIO FAILED [%s]: %v\n", sc.name, err)
		}
		b.timings = append(b.timings, t)
		fmt.Fprintf(out, "    (%s took %.1f s)\n", sc.name, t.Seconds)
	}
	b.rec.setPhase("")
	rep := b.report()
	if err := rep.writeJSON(f.out); err != nil {
		return err
	}
	fmt.Fprintf(out, "results written to %s\n", f.out)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case failed:
		return fmt.Errorf("a scenario failed")
	case rep.BrokenInvariants > 0:
		return fmt.Errorf("%d invariant(s) broken", rep.BrokenInvariants)
	case rep.BudgetsExceeded > 0:
		return fmt.Errorf("%d DynamoDB round-trip budget(s) exceeded", rep.BudgetsExceeded)
	}
	return nil
}

func (b *bench) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintln(b.out, "    "+msg)
	b.mu.Lock()
	b.notes = append(b.notes, msg)
	b.mu.Unlock()
}

// parallel runs fn for 0..n-1 with at most limit in flight and returns the
// errors by index.
func parallel(n, limit int, fn func(i int) error) []error {
	errs := make([]error, n)
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = fn(i)
		})
	}
	wg.Wait()
	return errs
}

// firstErrors summarises the non-nil errors of a parallel run.
func firstErrors(errs []error) error {
	var p []string
	for i, err := range errs {
		if err != nil {
			p = append(p, fmt.Sprintf("#%d: %v", i, err))
		}
	}
	return joinProblems(p)
}

// languages the listeners spread over (all supported targets).
var languages = []string{"es", "fr", "de", "it", "pt", "ja", "zh", "ko"}
