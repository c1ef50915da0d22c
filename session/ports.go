package session

import (
	"context"
	"time"

	"github.com/livecast/sessions/auth"
)

// Store is the state the domain needs. Every method is one conditional write,
// transaction or read: no method reads then writes, so concurrency cannot
// break capacity or counts.
type Store interface {
	// CreateSession stores a new session and its speaker's connection at once.
	// ErrSessionIDTaken when the id belongs to a live session,
	// ErrDuplicateConnection when the connection is already registered.
	CreateSession(ctx context.Context, s Session, speaker Connection) error
	// AdmitListener registers a listener and counts it, provided the session
	// is live at now and, when capacity > 0, has fewer listeners than capacity.
	// ErrNotFound, ErrSessionFull, ErrDuplicateConnection.
	AdmitListener(ctx context.Context, c Connection, capacity int, now time.Time) error
	// TakeOverSpeaker makes c the speaker connection of its session if userID
	// owns the live session, extending its expiry to expiresAt.
	// ErrNotFound, ErrNotSpeaker, ErrDuplicateConnection.
	TakeOverSpeaker(ctx context.Context, c Connection, expiresAt, now time.Time) error
	GetSession(ctx context.Context, id string) (Session, error)
	GetConnection(ctx context.Context, id string) (Connection, error)
	// RemoveConnection deletes a connection record and returns what it was;
	// ErrNotFound when it was already gone (a repeated $disconnect).
	RemoveConnection(ctx context.Context, id string) (Connection, error)
	// ReleaseListener uncounts one listener of lang, never below zero, and
	// returns the session after the change.
	ReleaseListener(ctx context.Context, sessionID, lang string) (Session, error)
	// EndSession deactivates the session if speakerConnectionID is still its
	// speaker; ErrNotSpeaker when another connection took over (refresh),
	// ErrNotFound when it is already inactive or missing.
	EndSession(ctx context.Context, sessionID, speakerConnectionID, reason string, now time.Time) (Session, error)
	// Listeners lists the listener connections of a session, of one language
	// when lang is not empty (one Query on the sessionId-targetLanguage index).
	Listeners(ctx context.Context, sessionID, lang string) ([]Connection, error)
	// DeleteConnections removes connection records in batches.
	DeleteConnections(ctx context.Context, ids []string) error
	// Touch records a heartbeat at now and returns the connection as it was
	// before. A *RateLimitedError when the connection already sent limit
	// heartbeats in the current minute; ErrNotFound for unknown connections;
	// ErrReplayed, changing nothing, when requestID was the last one recorded.
	Touch(ctx context.Context, connectionID, requestID string, now time.Time, limit int) (Connection, error)
	// SetBroadcast applies change to the session if speakerConnectionID is its
	// speaker and returns the session before the change. ErrNotSpeaker, ErrNotFound.
	SetBroadcast(ctx context.Context, sessionID, speakerConnectionID string, change BroadcastChange) (Session, error)
	// SwitchLanguage moves listener c (as read) to lang: its record and its
	// session's per-language counts change in one transaction. ErrReplayed
	// when the record already says lang (a retry whose first attempt landed,
	// or a concurrent duplicate); ErrNotFound when the connection is gone or
	// the session is over.
	SwitchLanguage(ctx context.Context, c Connection, lang string) error

	// LiveSessions lists the active sessions (expired ones included until
	// ended); its cost follows live sessions, never ended ones.
	LiveSessions(ctx context.Context) ([]Session, error)
	// AllConnections lists every connection record.
	AllConnections(ctx context.Context) ([]Connection, error)
	// SetCounts overwrites the counts of sess unless they changed since it
	// was read (sess.Version); ErrNotFound when they did.
	SetCounts(ctx context.Context, sess Session, total int, byLanguage map[string]int) error
}

// BroadcastChange is a partial update of BroadcastState; nil fields stay.
type BroadcastChange struct {
	Paused *bool
	Muted  *bool
	Volume *float64
}

// Limit is one fixed-window counter: at most Max distinct requests per Window.
type Limit struct {
	Name   string // counter name, e.g. "connectionAttempts"
	Max    int
	Window time.Duration
}

// Limiter counts requests atomically. Take counts member (a connection id, so
// a replayed event is not counted twice) under every limit of key, or none of
// them, and returns *RateLimitedError when one is full.
type Limiter interface {
	Take(ctx context.Context, key, member string, limits []Limit, now time.Time) error
}

// Messenger delivers messages to connections (API Gateway's @connections).
type Messenger interface {
	// Send delivers one message; ErrConnectionGone when the connection is gone.
	Send(ctx context.Context, connectionID string, m Message) error
	// Disconnect closes a connection from the service side.
	Disconnect(ctx context.Context, connectionID string) error
}

// TokenVerifier checks a speaker's identity token.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (auth.Claims, error)
}

// Identity is who a verified token says the speaker is.
type Identity struct {
	UserID string
	Email  string
}
