package session

import (
	"encoding/json"
	"time"
)

// Message is anything the service sends to a connection. The router alone
// gives each its wire form; the domain only says what happened.
type Message interface{ message() }

// SessionCreated welcomes a speaker.
type SessionCreated struct {
	SessionID      string
	SourceLanguage string
	QualityTier    string
	ConnectionID   string
	ExpiresAt      time.Time
	Options        StreamOptions
	Heartbeat      time.Duration // how often the client should heartbeat
}

// SessionJoined welcomes a listener.
type SessionJoined struct {
	SessionID      string
	TargetLanguage string
	SourceLanguage string
	ConnectionID   string
	ListenerCount  int
	ResumeToken    string // takes the seat back after a lost connection
	Heartbeat      time.Duration
}

// RefreshComplete welcomes a connection that replaced an older one.
type RefreshComplete struct {
	SessionID      string
	Role           Role
	TargetLanguage string // listeners
	ResumeToken    string // listeners: a fresh one, the old one is spent
	Heartbeat      time.Duration
}

// HeartbeatAck answers a heartbeat.
type HeartbeatAck struct{}

// ConnectionWarning tells a speaker its connection will soon hit the wall.
type ConnectionWarning struct{ RemainingMinutes int }

// RefreshRequired asks a client to open a replacement connection.
type RefreshRequired struct {
	SessionID      string
	Role           Role
	TargetLanguage string
}

// SessionEnded tells a listener the broadcast is over.
type SessionEnded struct {
	SessionID    string
	Reason       string
	StateVersion int64 // of the end
}

// Reasons a session ends.
const (
	ReasonSpeakerDisconnected = "speakerDisconnected" // a 1000 close, or no return within the window
	ReasonSpeakerEnded        = "speakerEnded"        // the endSession action
	ReasonExpired             = "expired"
	ReasonTimeout             = "timeout"
)

// SpeakerDisconnected tells listeners the speaker's connection was lost and
// how long the session waits for it.
type SpeakerDisconnected struct {
	SessionID         string
	ReconnectDeadline time.Time
	StateVersion      int64
}

// SpeakerReconnected tells listeners the speaker is back.
type SpeakerReconnected struct {
	SessionID    string
	StateVersion int64
}

// ListenerCount tells the speaker its audience.
type ListenerCount struct {
	SessionID    string
	Total        int
	ByLanguage   map[string]int
	StateVersion int64 // of the counts shown
}

// Status answers getSessionStatus.
type Status struct {
	SessionID        string
	Active           bool
	ListenerCount    int
	ByLanguage       map[string]int
	ExpiresAt        time.Time
	Broadcast        BroadcastState
	SpeakerConnected bool
}

// BroadcastChanged mirrors the speaker's controls to everyone.
type BroadcastChanged struct {
	SessionID    string
	State        BroadcastState
	StateVersion int64
}

// PausedChanged is what the original listener clients wait for when the
// broadcast pauses (Paused) or resumes (!Paused).
type PausedChanged struct {
	SessionID    string
	Paused       bool
	StateVersion int64
}

// LanguageChanged confirms a listener's switch of target language.
type LanguageChanged struct {
	SessionID      string
	TargetLanguage string
}

// Payload is an opaque message from the audio pipeline, sent verbatim.
type Payload struct{ Data json.RawMessage }

func (SessionCreated) message()      {}
func (SessionJoined) message()       {}
func (RefreshComplete) message()     {}
func (HeartbeatAck) message()        {}
func (ConnectionWarning) message()   {}
func (RefreshRequired) message()     {}
func (SessionEnded) message()        {}
func (SpeakerDisconnected) message() {}
func (SpeakerReconnected) message()  {}
func (ListenerCount) message()       {}
func (Status) message()              {}
func (BroadcastChanged) message()    {}
func (PausedChanged) message()       {}
func (LanguageChanged) message()     {}
func (Payload) message()             {}
