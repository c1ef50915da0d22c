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
	Broadcast           BroadcastState
}

// Live reports whether listeners may join at now.
func (s Session) Live(now time.Time) bool { return s.Active && now.Before(s.ExpiresAt) }

// StreamOptions are the transcription settings the original clients send with
// createSession; stored and echoed, not interpreted here.
type StreamOptions struct {
	PartialResults   bool    `json:"partialResults"`
	MinStability     float64 `json:"minStability"`     // 0.70..0.95
	MaxBufferTimeout float64 `json:"maxBufferTimeout"` // seconds, 2..10
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
}
