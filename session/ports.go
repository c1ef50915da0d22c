package session

import (
	"context"
	"time"
)

// The ports below are what the domain needs from the world. Every storage
// method is one conditional write, transaction or read: none reads then
// writes, so concurrency cannot break capacity or counts.

// Sessions stores sessions. The session item is a hot key during a join
// storm: admission and release are single-item conditional writes (DynamoDB
// serialises those), never transactions on it (those conflict).
type Sessions interface {
	// Create stores a new session and its speaker's connection at once.
	// ErrSessionIDTaken when the id belongs to a live session,
	// ErrDuplicateConnection when the connection is already registered.
	Create(ctx context.Context, s Session, speaker Connection) error
	// Get reads a session (strongly consistent). ErrNotFound.
	Get(ctx context.Context, id string) (Session, error)
	// Admit counts one listener of lang into a session live at now that has
	// fewer than capacity listeners, and returns the session after the
	// change. ErrNotFound when the session is not live, ErrSessionFull.
	Admit(ctx context.Context, sessionID, lang string, capacity int, now time.Time) (Session, error)
	// Unadmit takes back a count Admit just made for a listener whose record
	// could not be written (a replayed $connect): the counts and their
	// version return to where they were, so a replay changes nothing.
	Unadmit(ctx context.Context, sessionID, lang string) error
	// Release uncounts one listener of lang and returns the session after
	// the change. ErrNotCounted when no such listener is counted (the
	// session ended and its counts were reset).
	Release(ctx context.Context, sessionID, lang string) (Session, error)
	// TakeOverSpeaker makes c the speaker connection of its session if c's
	// user owns the live session, extends it to expiresAt, clears a reconnect
	// window and its pause, and returns the session as it was before.
	// ErrNotFound (also once a reconnect window has passed: the session is
	// over for its speaker), ErrNotSpeaker, ErrDuplicateConnection.
	TakeOverSpeaker(ctx context.Context, c Connection, expiresAt, now time.Time) (Session, error)
	// SpeakerLost opens the reconnect window of a session whose speaker
	// connection speakerConnectionID was lost, pausing the broadcast, and
	// returns the session as it was before. ErrNotSpeaker when another
	// connection is the speaker now, ErrNotFound when it is over.
	SpeakerLost(ctx context.Context, sessionID, speakerConnectionID string, deadline time.Time) (Session, error)
	// End deactivates the session if speakerConnectionID is still its
	// speaker and resets its counts. It returns the session as it was.
	// ErrNotSpeaker when another connection took over, ErrNotFound when it
	// is already over.
	End(ctx context.Context, sessionID, speakerConnectionID, reason string, now time.Time) (Session, error)
	// SetBroadcast applies change if speakerConnectionID is the speaker and
	// returns the session before the change. ErrNotSpeaker, ErrNotFound.
	SetBroadcast(ctx context.Context, sessionID, speakerConnectionID string, change BroadcastChange) (Session, error)
}

// Connections stores one record per open (or held) connection.
type Connections interface {
	// Register writes a new record. ErrDuplicateConnection when it exists.
	Register(ctx context.Context, c Connection) error
	// Get reads one record. ErrNotFound.
	Get(ctx context.Context, id string) (Connection, error)
	// Remove deletes a record that is not held and returns what it was;
	// ErrNotFound when it was already gone (a repeated $disconnect) or held.
	Remove(ctx context.Context, id string) (Connection, error)
	// Hold keeps a lost listener's record (and so its seat) until until and
	// returns it. ErrNotFound when it is gone or already held.
	Hold(ctx context.Context, id string, until time.Time) (Connection, error)
	// ReleaseHeld deletes a held record whose hold ended before now and
	// returns it. ErrNotFound when it was reclaimed or is still held.
	ReleaseHeld(ctx context.Context, id string, now time.Time) (Connection, error)
	// Reclaim replaces old (which must still carry old.ResumeHash and, if
	// held, be held past now) with c in one transaction: the seat changes
	// hands, its count does not. ErrResumeRefused, ErrDuplicateConnection.
	Reclaim(ctx context.Context, old Connection, c Connection, now time.Time) error
	// Replace swaps old for c in one transaction, as Reclaim, for an
	// original client's token-less refresh. ErrNotFound when old is gone.
	Replace(ctx context.Context, old Connection, c Connection) error
	// Listeners lists the listener records of a session, of one language
	// when lang is not empty.
	Listeners(ctx context.Context, sessionID, lang string) ([]Connection, error)
	// Audience is Listeners with only what a fan-out needs: each listener's
	// ID, SessionID, Role, TargetLanguage and HeldUntil. Reading three
	// attributes of each record instead of all of them makes an ending's
	// read of 500 records several times faster.
	Audience(ctx context.Context, sessionID, lang string) ([]Connection, error)
	// DeleteMany removes records in batches.
	DeleteMany(ctx context.Context, ids []string) error
	// MarkClosing puts a closing mark (ClosingSince now, the session and the
	// reason it ended) in place of each record in ids, in batches and
	// unconditionally. Every other method treats a mark as no record, except
	// Remove, which deletes it and reports ErrNotFound, and AllConnections,
	// which lists it.
	MarkClosing(ctx context.Context, sessionID, reason string, ids []string, now time.Time) error
	// Touch records a heartbeat at now and returns the record as it was
	// before. *RateLimitedError when the connection already sent limit
	// heartbeats this minute; ErrNotFound for unknown connections;
	// ErrReplayed, changing nothing, when requestID was the last one.
	Touch(ctx context.Context, connectionID, requestID string, now time.Time, limit int) (Connection, error)
	// SwitchLanguage moves listener c (as read) to lang: its record and its
	// session's per-language counts change in one transaction. ErrReplayed
	// when the record already says lang; ErrNotFound when the connection is
	// gone or the session is over.
	SwitchLanguage(ctx context.Context, c Connection, lang string) error
}

// SweepScans are the whole-table reads and the guarded repair the sweep uses.
type SweepScans interface {
	// LiveSessions lists the active sessions; its cost follows those, never
	// the ended ones awaiting TTL.
	LiveSessions(ctx context.Context) ([]Session, error)
	// AllConnections lists every connection record and closing mark.
	AllConnections(ctx context.Context) ([]Connection, error)
	// SetCounts overwrites the counts of sess unless they changed since it
	// was read (sess.Version): ErrCountsChanged when they did.
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
	// Scope, when set, gives the limit a counter of its own for each value
	// under the same key (a session id: an address's joins are counted per
	// session) while still sharing the key's write with its other limits.
	Scope string
}

// Limiter counts requests atomically. Take counts member (a connection id, so
// a replayed event is not counted twice) under every limit of key that shares
// a window, or none of them, and returns *RateLimitedError naming them all
// ("a+b") when one is full. Limits of different windows are taken window by
// window.
//
// It also keeps the seats held for lost listener connections, per session
// with the address each came from (docs/SPEC.md X11: one address cannot pin
// more than a bounded number of seats). They are kept beside the rate limits,
// not on the session item: a mass drop and return write them 2 x N times,
// which must not queue behind the joins on that hot key.
type Limiter interface {
	Take(ctx context.Context, key, member string, limits []Limit, now time.Time) error
	// HoldSeat notes that connectionID's seat in sessionID, taken from the
	// address sourceIPHash, is held until until. Repeating it changes nothing.
	HoldSeat(ctx context.Context, sessionID, connectionID, sourceIPHash string, until time.Time) error
	// UnholdSeat forgets connectionID's held seat (reclaimed or released);
	// forgetting one that is not noted changes nothing.
	UnholdSeat(ctx context.Context, sessionID, connectionID string) error
	// HeldSeats returns when each seat of sessionID from sourceIPHash that is
	// still held at now frees, earliest first. A seat noted but never
	// forgotten stops counting at its until.
	HeldSeats(ctx context.Context, sessionID, sourceIPHash string, now time.Time) ([]time.Time, error)
}

// Messenger delivers messages to connections (API Gateway's @connections).
type Messenger interface {
	// Send delivers one message; ErrConnectionGone when the connection is gone.
	Send(ctx context.Context, connectionID string, m Message) error
	// Disconnect closes a connection from the service side.
	Disconnect(ctx context.Context, connectionID string) error
}

// TokenVerifier checks a speaker's identity token. Its errors wrap
// ErrTokenInvalid, ErrTokenExpired, or ErrUnavailable when no token can be
// judged (the signing keys cannot be fetched).
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (Identity, error)
}

// Identity is who a verified token says the speaker is.
type Identity struct {
	UserID string
	Email  string
}
