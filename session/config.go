package session

import "time"

// Config holds every limit and clock of the domain. Read it once at start
// and pass it to New; zero values are replaced by DefaultConfig's.
type Config struct {
	MaxListenersPerSession int
	SessionMaxDuration     time.Duration // a session ends this long after creation unless its speaker refreshes
	ConnectionMaxDuration  time.Duration // API Gateway's connection wall
	RefreshAfter           time.Duration // connectionRefreshRequired once a connection is this old
	WarningAfter           time.Duration // connectionWarning (speakers) once a connection is this old
	HeartbeatInterval      time.Duration // how often clients should heartbeat: sent in every welcome
	HeartbeatTimeout       time.Duration // silence after which the sweep closes a connection
	RetentionBuffer        time.Duration // TTL deletes items this long after they stop mattering
	ReconnectWindow        time.Duration // a lost speaker's session, or a lost listener's seat, waits this long
	// ClosingGrace is how long an ending's closing mark may stand before
	// the sweep takes it for a close that never happened (the invocation
	// died). Longer than the function's timeout, so that the sweep never
	// closes behind an ending that is still telling its listeners.
	ClosingGrace time.Duration
	// AudienceCacheFor is how long a broadcast trusts the listeners it read
	// for a session and language (see audiences).
	AudienceCacheFor time.Duration

	SessionsPerHour          int // per speaker user
	ListenerJoinsPerMinute   int // new seats (joins, token-less refreshes) per source address and session
	ConnectionAttemptsPerMin int // per source address, every door: the flood ceiling
	MaxHeldSeatsPerAddress   int // seats one address may have held for lost connections in a session before its new seats wait
	HeartbeatsPerMinute      int // per connection
	WelcomeRetryFor          time.Duration
	FanoutWorkers            int
	// BroadcastPageSize is the most listeners one invocation posts a
	// broadcast (or an ending) to; the rest go to other invocations
	// (broadcast_pages.go).
	BroadcastPageSize    int
	MaxSessionIDAttempts int
}

// DefaultConfig returns the defaults of docs/SPEC.md. The per-address limits
// follow X11 rather than R13's numbers: a room of phones behind one address
// must get in (README, "Limits and the venue", says why these numbers).
func DefaultConfig() Config {
	return Config{
		MaxListenersPerSession:   500,
		SessionMaxDuration:       2 * time.Hour,
		ConnectionMaxDuration:    2 * time.Hour,
		RefreshAfter:             100 * time.Minute,
		WarningAfter:             105 * time.Minute,
		HeartbeatInterval:        30 * time.Second,
		HeartbeatTimeout:         90 * time.Second,
		RetentionBuffer:          time.Hour,
		ReconnectWindow:          120 * time.Second,
		ClosingGrace:             2 * time.Minute,
		AudienceCacheFor:         2 * time.Second,
		SessionsPerHour:          50,
		ListenerJoinsPerMinute:   600,
		ConnectionAttemptsPerMin: 1200,
		MaxHeldSeatsPerAddress:   20,
		HeartbeatsPerMinute:      2,
		// A connection cannot be posted to until its $connect has returned,
		// and API Gateway lets $connect run up to 29 s: on a slow database
		// (or a loaded machine in local mode) 3 s lost welcomes of
		// connections that did open. Retrying a connection that never
		// opens costs about one small post a second, rarely.
		WelcomeRetryFor: 25 * time.Second,
		FanoutWorkers:   32,
		// 128 = 4 rounds of 32 workers: about 80 ms at 20 ms per post, inside
		// one 100 ms frame of audio at 10 chunks/s, so a page is done
		// before the next chunk's page starts (README, "Broadcast").
		BroadcastPageSize:    128,
		MaxSessionIDAttempts: 10,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	setInt := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	setInt(&c.MaxListenersPerSession, d.MaxListenersPerSession)
	setDur(&c.SessionMaxDuration, d.SessionMaxDuration)
	setDur(&c.ConnectionMaxDuration, d.ConnectionMaxDuration)
	setDur(&c.RefreshAfter, d.RefreshAfter)
	setDur(&c.WarningAfter, d.WarningAfter)
	setDur(&c.HeartbeatInterval, d.HeartbeatInterval)
	setDur(&c.HeartbeatTimeout, d.HeartbeatTimeout)
	setDur(&c.RetentionBuffer, d.RetentionBuffer)
	setDur(&c.ReconnectWindow, d.ReconnectWindow)
	setDur(&c.ClosingGrace, d.ClosingGrace)
	setDur(&c.AudienceCacheFor, d.AudienceCacheFor)
	setInt(&c.SessionsPerHour, d.SessionsPerHour)
	setInt(&c.ListenerJoinsPerMinute, d.ListenerJoinsPerMinute)
	setInt(&c.ConnectionAttemptsPerMin, d.ConnectionAttemptsPerMin)
	setInt(&c.MaxHeldSeatsPerAddress, d.MaxHeldSeatsPerAddress)
	setInt(&c.HeartbeatsPerMinute, d.HeartbeatsPerMinute)
	setDur(&c.WelcomeRetryFor, d.WelcomeRetryFor)
	setInt(&c.FanoutWorkers, d.FanoutWorkers)
	setInt(&c.BroadcastPageSize, d.BroadcastPageSize)
	setInt(&c.MaxSessionIDAttempts, d.MaxSessionIDAttempts)
	return c
}
