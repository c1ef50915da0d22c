package app

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/livecast/sessions/session"
	"github.com/livecast/sessions/store"
)

// Config is everything the service reads from its environment.
type Config struct {
	Session           session.Config
	Audio             session.AudioConfig
	AudioStreamName   string // the Kinesis Data Stream of speakers' audio
	Tables            store.Tables
	Region            string
	UserPoolID        string
	ClientID          string
	LogLevel          slog.Level
	WebSocketEndpoint string        // https @connections endpoint on AWS
	FunctionName      string        // this function, for the asynchronous welcome
	SweepInterval     time.Duration // local mode's stand-in for the one-minute schedule
	MetricsNamespace  string
}

// MaxBroadcastPageSize bounds BROADCAST_PAGE_SIZE (see FromEnv).
const MaxBroadcastPageSize = 1000

// Lookup reads one environment variable; os.LookupEnv in production.
type Lookup func(name string) (string, bool)

// FromEnv reads and validates the configuration. An invalid value stops the
// start with an error naming the variable; a missing one takes its default.
func FromEnv(lookup Lookup) (Config, error) {
	r := reader{lookup: lookup}
	d := session.DefaultConfig()
	c := Config{Session: d}
	s := &c.Session
	s.MaxListenersPerSession = r.count("MAX_LISTENERS_PER_SESSION", d.MaxListenersPerSession)
	s.SessionMaxDuration = r.duration("SESSION_MAX_DURATION_HOURS", d.SessionMaxDuration, time.Hour)
	s.ConnectionMaxDuration = r.duration("CONNECTION_MAX_DURATION_HOURS", d.ConnectionMaxDuration, time.Hour)
	s.RefreshAfter = r.duration("CONNECTION_REFRESH_MINUTES", d.RefreshAfter, time.Minute)
	s.WarningAfter = r.duration("CONNECTION_WARNING_MINUTES", d.WarningAfter, time.Minute)
	s.HeartbeatInterval = r.duration("HEARTBEAT_INTERVAL_SECONDS", d.HeartbeatInterval, time.Second)
	s.HeartbeatTimeout = r.duration("HEARTBEAT_TIMEOUT_SECONDS", d.HeartbeatTimeout, time.Second)
	s.ReconnectWindow = r.duration("RECONNECT_WINDOW_SECONDS", d.ReconnectWindow, time.Second)
	s.AudienceCacheFor = r.duration("BROADCAST_AUDIENCE_CACHE_SECONDS", d.AudienceCacheFor, time.Second)
	s.SessionsPerHour = r.count("RATE_LIMIT_SESSIONS_PER_HOUR", d.SessionsPerHour)
	s.ListenerJoinsPerMinute = r.count("RATE_LIMIT_LISTENER_JOINS_PER_MIN", d.ListenerJoinsPerMinute)
	s.ConnectionAttemptsPerMin = r.count("RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN", d.ConnectionAttemptsPerMin)
	s.MaxHeldSeatsPerAddress = r.count("MAX_HELD_SEATS_PER_ADDRESS", d.MaxHeldSeatsPerAddress)
	s.HeartbeatsPerMinute = r.count("RATE_LIMIT_HEARTBEATS_PER_MIN", d.HeartbeatsPerMinute)
	s.BroadcastPageSize = r.count("BROADCAST_PAGE_SIZE", d.BroadcastPageSize)
	da := session.DefaultAudioConfig()
	c.Audio = session.AudioConfig{
		ChunksPerSecond: r.count("AUDIO_CHUNKS_PER_SECOND", da.ChunksPerSecond),
		SessionCacheFor: r.duration("AUDIO_SESSION_CACHE_SECONDS", da.SessionCacheFor, time.Second),
		MaxChunkBytes:   da.MaxChunkBytes,
		BytesPerSecond:  r.count("AUDIO_BYTES_PER_SECOND", da.BytesPerSecond),
	}
	// A session's audio goes to one shard: no connection may send more than
	// the shard takes, in records or in bytes.
	if c.Audio.ChunksPerSecond > session.ShardRecordsPerSecond {
		r.fail("AUDIO_CHUNKS_PER_SECOND", fmt.Sprint(c.Audio.ChunksPerSecond), fmt.Sprintf("at most %d (one Kinesis shard's records per second)", session.ShardRecordsPerSecond))
	}
	if c.Audio.BytesPerSecond > session.ShardBytesPerSecond {
		r.fail("AUDIO_BYTES_PER_SECOND", fmt.Sprint(c.Audio.BytesPerSecond), fmt.Sprintf("at most %d (one Kinesis shard's bytes per second)", session.ShardBytesPerSecond))
	}
	if c.Audio.MaxChunkBytes > c.Audio.BytesPerSecond {
		r.fail("AUDIO_BYTES_PER_SECOND", fmt.Sprint(c.Audio.BytesPerSecond), fmt.Sprintf("at least one chunk (%d bytes)", c.Audio.MaxChunkBytes))
	}
	c.AudioStreamName = r.streamName("AUDIO_STREAM_NAME", "Audio")
	c.Tables = store.Tables{
		Sessions:    r.text("SESSIONS_TABLE", "Sessions"),
		Connections: r.text("CONNECTIONS_TABLE", "Connections"),
		RateLimits:  r.text("RATE_LIMITS_TABLE", "RateLimits"),
	}
	c.Region = r.text("AWS_REGION", "us-east-1")
	c.UserPoolID = r.text("USER_POOL_ID", "")
	c.ClientID = r.text("CLIENT_ID", "")
	c.LogLevel = r.level("LOG_LEVEL")
	c.WebSocketEndpoint = r.text("WEBSOCKET_ENDPOINT", "")
	c.FunctionName = r.text("AWS_LAMBDA_FUNCTION_NAME", "")
	c.SweepInterval = r.duration("SWEEP_INTERVAL_SECONDS", time.Minute, time.Second)
	c.MetricsNamespace = r.text("METRICS_NAMESPACE", "SessionService")
	if r.err != nil {
		return Config{}, r.err
	}
	switch {
	case s.RefreshAfter >= s.ConnectionMaxDuration:
		return Config{}, fmt.Errorf("CONNECTION_REFRESH_MINUTES (%v) must be shorter than CONNECTION_MAX_DURATION_HOURS (%v)", s.RefreshAfter, s.ConnectionMaxDuration)
	case s.WarningAfter >= s.ConnectionMaxDuration:
		return Config{}, fmt.Errorf("CONNECTION_WARNING_MINUTES (%v) must be shorter than CONNECTION_MAX_DURATION_HOURS (%v)", s.WarningAfter, s.ConnectionMaxDuration)
	case s.BroadcastPageSize > MaxBroadcastPageSize:
		// A page travels as one asynchronous Lambda event (256 KB at most)
		// beside a payload of up to 128 KB: 1,000 ids are about 20 KB.
		return Config{}, fmt.Errorf("BROADCAST_PAGE_SIZE (%d) must be at most %d", s.BroadcastPageSize, MaxBroadcastPageSize)
	case s.HeartbeatTimeout <= s.HeartbeatInterval:
		return Config{}, fmt.Errorf("HEARTBEAT_TIMEOUT_SECONDS (%v) must be longer than HEARTBEAT_INTERVAL_SECONDS (%v)", s.HeartbeatTimeout, s.HeartbeatInterval)
	}
	return c, nil
}

// reader keeps the first error so FromEnv reads like a list of variables.
type reader struct {
	lookup Lookup
	err    error
}

func (r *reader) raw(name string) (string, bool) {
	v, ok := r.lookup(name)
	v = strings.TrimSpace(v)
	return v, ok && v != ""
}

func (r *reader) fail(name, v, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("invalid %s=%q: want %s", name, v, want)
	}
}

func (r *reader) text(name, def string) string {
	if v, ok := r.raw(name); ok {
		return v
	}
	return def
}

func (r *reader) count(name string, def int) int {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1_000_000 {
		r.fail(name, v, "a whole number from 1 to 1000000")
		return def
	}
	return n
}

// duration reads a decimal number of units, so tests can shrink time
// (CONNECTION_REFRESH_MINUTES=0.05 is 3 s).
func (r *reader) duration(name string, def, unit time.Duration) time.Duration {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	d := time.Duration(f * float64(unit))
	if err != nil || math.IsNaN(f) || f <= 0 || f > 1e6 || d < time.Millisecond {
		r.fail(name, v, "a positive number")
		return def
	}
	return d
}

func (r *reader) level(name string) slog.Level {
	v, ok := r.raw(name)
	if !ok {
		return slog.LevelInfo
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(v))); err != nil {
		r.fail(name, v, "debug, info, warn or error")
		return slog.LevelInfo
	}
	return l
}
