package session

import "time"

// Role is what a connection is to its session.
type Role string

// Roles of a connection.
const (
	RoleSpeaker  Role = "speaker"
	RoleListener Role = "listener"
)

// Session is one broadcast: a speaker, its source language and its audience.
type Session struct {
	ID                  string
	SpeakerConnectionID string
	SpeakerUserID       string
	SourceLanguage      string
	QualityTier         string
	Options             StreamOptions
	CreatedAt           time.Time
	ExpiresAt           time.Time
	Active              bool
	EndedReason         string
	ListenerCount       int
	ByLanguage          map[string]int // listeners per target language
	Version             int64          // changes with every count change; guards reconciliation
	// StateVersion grows with every change of the session (protocol v1.2),
	// written by the same write as the change. A write that returns the
	// session as it was before still returns the version it wrote, so every
	// message reporting the change carries it.
	StateVersion int64
	Broadcast    BroadcastState
	// ReconnectDeadline is set while the speaker's connection is lost: the
	// session waits for it until then (docs/PROTOCOL.md v1.1). Zero when connected.
	ReconnectDeadline time.Time
	// GapPaused is the pause a lost speaker connection put on the broadcast;
	// it is lifted when the speaker returns, unlike the speaker's own pause.
	GapPaused bool
}

// Live reports whether listeners may join at now.
func (s Session) Live(now time.Time) bool { return s.Active && now.Before(s.ExpiresAt) }

// SpeakerConnected reports whether the speaker's connection is up (not
// within a reconnect window).
func (s Session) SpeakerConnected() bool { return s.ReconnectDeadline.IsZero() }

// EffectiveBroadcast is what listeners should mirror: the speaker's controls,
// paused also while the speaker is away.
func (s Session) EffectiveBroadcast() BroadcastState {
	b := s.Broadcast
	b.Paused = b.Paused || s.GapPaused
	return b
}

// StreamOptions are the transcription settings the original clients send with
// createSession; stored and echoed, not interpreted here.
type StreamOptions struct {
	PartialResults   bool
	MinStability     float64 // 0.70..0.95
	MaxBufferTimeout float64 // seconds, 2..10
}

// BroadcastState is what the speaker controls and every listener mirrors.
type BroadcastState struct {
	Paused bool
	Muted  bool
	Volume float64
}

// Connection is one WebSocket connection and what it is to its session.
type Connection struct {
	ID             string
	SessionID      string
	Role           Role
	TargetLanguage string // listeners only
	UserID         string // speakers only
	ConnectedAt    time.Time
	LastSeenAt     time.Time
	// SourceIPHash matches an original client's token-less refresh to the
	// connection it replaces (same session, language and address).
	SourceIPHash string
	// ResumeHash is the SHA-256 of the secret half of the listener's current
	// resume token; the token itself is never stored.
	ResumeHash string
	// HeldUntil is set when a listener's connection was lost: its seat is
	// kept for it until then.
	HeldUntil time.Time
	// ClosingSince is set on the closing mark an ending leaves in place of
	// an open listener's record (SessionID is then the ended session and
	// ClosingReason why it ended): the listener is being told and closed.
	// The $disconnect of that close deletes the mark; a mark older than
	// ClosingGrace is a close that never happened, which the sweep makes.
	ClosingSince  time.Time
	ClosingReason string
}

// Held reports whether the connection is a lost listener's kept seat.
func (c Connection) Held() bool { return !c.HeldUntil.IsZero() }

// Closing reports whether the record is an ending's closing mark.
func (c Connection) Closing() bool { return !c.ClosingSince.IsZero() }
