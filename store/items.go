package store

import (
	"time"

	"github.com/livecast/sessions/session"
)

// Every attribute and index name the store writes or reads in an
// expression. The item structs' dynamo tags must agree with these.
const (
	// Sessions
	attrSessionID           = "sessionId"
	attrLive                = "live"
	attrSpeakerConnectionID = "speakerConnectionId"
	attrSpeakerUserID       = "speakerUserId"
	attrExpiresAt           = "expiresAt"
	attrIsActive            = "isActive"
	attrEndedReason         = "endedReason"
	attrListenerCount       = "listenerCount"
	attrCountVersion        = "countVersion"
	attrStateVersion        = "stateVersion"
	attrByLanguage          = "byLanguage"
	attrPaused              = "paused"
	attrMuted               = "muted"
	attrVolume              = "volume"
	attrGapPaused           = "gapPaused"
	attrReconnectDeadline   = "reconnectDeadline"
	// Connections
	attrConnectionID   = "connectionId"
	attrRole           = "role"
	attrTargetLanguage = "targetLanguage"
	attrConnectedAt    = "connectedAt"
	attrLastSeenAt     = "lastSeenAt"
	attrLastRequestID  = "lastRequestId"
	attrHeldUntil      = "heldUntil"
	attrResumeHash     = "resumeHash"
	attrClosingSince   = "closingSince"
	heartbeatAttrBase  = "hb" // + Unix minute: the heartbeat counter of that minute
	// RateLimits
	attrIdentifier = "identifier"
	// Every table
	attrTTL = "ttl"

	listenersIndex = "sessionId-targetLanguage-index"
	liveIndex      = "live-sessions-index"
	liveMarker     = "live"
)

// sessionItem is one row of Sessions.
type sessionItem struct {
	SessionID string `dynamo:"sessionId,hash"`
	// Live is set while the session is active and removed when it ends, so
	// the sparse live-sessions index holds only what the sweep must look at:
	// its cost follows live sessions, not the ended ones awaiting TTL.
	Live                string         `dynamo:"live,omitempty" index:"live-sessions-index,hash"`
	SpeakerConnectionID string         `dynamo:"speakerConnectionId"`
	SpeakerUserID       string         `dynamo:"speakerUserId"`
	SourceLanguage      string         `dynamo:"sourceLanguage"`
	QualityTier         string         `dynamo:"qualityTier"`
	PartialResults      bool           `dynamo:"partialResults"`
	MinStability        float64        `dynamo:"minStability"`
	MaxBufferTimeout    float64        `dynamo:"maxBufferTimeout"`
	CreatedAt           int64          `dynamo:"createdAt"` // Unix ms
	ExpiresAt           int64          `dynamo:"expiresAt"` // Unix ms
	IsActive            bool           `dynamo:"isActive"`
	EndedReason         string         `dynamo:"endedReason,omitempty"`
	ListenerCount       int            `dynamo:"listenerCount"`
	CountVersion        int64          `dynamo:"countVersion"`          // bumped by every count change; guards reconciliation
	StateVersion        int64          `dynamo:"stateVersion"`          // bumped by every change of the session (protocol v1.2)
	ByLanguage          map[string]int `dynamo:"byLanguage,allowempty"` // must exist: updates write byLanguage.<lang>
	Paused              bool           `dynamo:"paused"`
	Muted               bool           `dynamo:"muted"`
	Volume              float64        `dynamo:"volume"`
	GapPaused           bool           `dynamo:"gapPaused,omitempty"`
	ReconnectDeadline   int64          `dynamo:"reconnectDeadline,omitempty"` // Unix ms
	TTL                 int64          `dynamo:"ttl"`                         // Unix seconds, for DynamoDB TTL
}

// connectionItem is one row of Connections. Speakers have no targetLanguage,
// which keeps them out of the listeners index.
type connectionItem struct {
	ConnectionID   string `dynamo:"connectionId,hash"`
	SessionID      string `dynamo:"sessionId" index:"sessionId-targetLanguage-index,hash"`
	TargetLanguage string `dynamo:"targetLanguage,omitempty" index:"sessionId-targetLanguage-index,range"`
	Role           string `dynamo:"role"`
	UserID         string `dynamo:"userId,omitempty"`
	ConnectedAt    int64  `dynamo:"connectedAt"` // Unix ms
	LastSeenAt     int64  `dynamo:"lastSeenAt"`  // Unix ms
	SourceIPHash   string `dynamo:"sourceIpHash,omitempty"`
	ResumeHash     string `dynamo:"resumeHash,omitempty"`
	HeldUntil      int64  `dynamo:"heldUntil,omitempty"` // Unix ms
	// LastRequestID is the API Gateway request id of the last heartbeat, so
	// a replayed heartbeat changes nothing.
	LastRequestID string `dynamo:"lastRequestId,omitempty"`
	TTL           int64  `dynamo:"ttl"`
	// Set only on a closing mark (closingMarkItem).
	ClosingSince   int64  `dynamo:"closingSince,omitempty"` // Unix ms
	ClosingSession string `dynamo:"closingSession,omitempty"`
	ClosingReason  string `dynamo:"closingReason,omitempty"`
}

// closingMarkItem is what an ending writes in place of an open listener's
// record (session.Connection.ClosingSince). It has no sessionId, so no index
// holds it, and no role, which every condition on a live record requires
// (attribute_exists(role)): to every write but a delete it is no record.
type closingMarkItem struct {
	ConnectionID   string `dynamo:"connectionId,hash"`
	ClosingSince   int64  `dynamo:"closingSince"`
	ClosingSession string `dynamo:"closingSession"`
	ClosingReason  string `dynamo:"closingReason"`
	TTL            int64  `dynamo:"ttl"`
}

// rateLimitItem is one counter window; its sets hold the counted request ids.
type rateLimitItem struct {
	Identifier string `dynamo:"identifier,hash"`
	TTL        int64  `dynamo:"ttl"`
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS reads a stored Unix-millisecond time back in UTC, so what a port
// returns does not depend on the machine's time zone.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func (c Config) newSessionItem(x session.Session) sessionItem {
	by := x.ByLanguage
	if by == nil {
		by = map[string]int{}
	}
	live := ""
	if x.Active {
		live = liveMarker
	}
	return sessionItem{
		SessionID: x.ID, Live: live, CountVersion: x.Version, StateVersion: max(x.StateVersion, 1), SpeakerConnectionID: x.SpeakerConnectionID, SpeakerUserID: x.SpeakerUserID,
		SourceLanguage: x.SourceLanguage, QualityTier: x.QualityTier,
		PartialResults: x.Options.PartialResults, MinStability: x.Options.MinStability, MaxBufferTimeout: x.Options.MaxBufferTimeout,
		CreatedAt: ms(x.CreatedAt), ExpiresAt: ms(x.ExpiresAt), IsActive: x.Active, EndedReason: x.EndedReason,
		ListenerCount: x.ListenerCount, ByLanguage: by,
		Paused: x.Broadcast.Paused, Muted: x.Broadcast.Muted, Volume: x.Broadcast.Volume,
		TTL: c.sessionTTL(x.ExpiresAt),
	}
}

func (it sessionItem) domain() session.Session {
	var deadline time.Time
	if it.ReconnectDeadline != 0 {
		deadline = fromMS(it.ReconnectDeadline)
	}
	return session.Session{
		ID: it.SessionID, SpeakerConnectionID: it.SpeakerConnectionID, SpeakerUserID: it.SpeakerUserID,
		SourceLanguage: it.SourceLanguage, QualityTier: it.QualityTier,
		Options:   session.StreamOptions{PartialResults: it.PartialResults, MinStability: it.MinStability, MaxBufferTimeout: it.MaxBufferTimeout},
		CreatedAt: fromMS(it.CreatedAt), ExpiresAt: fromMS(it.ExpiresAt), Active: it.IsActive, EndedReason: it.EndedReason,
		ListenerCount: it.ListenerCount, ByLanguage: it.ByLanguage, Version: it.CountVersion, StateVersion: it.StateVersion,
		Broadcast:         session.BroadcastState{Paused: it.Paused, Muted: it.Muted, Volume: it.Volume},
		ReconnectDeadline: deadline, GapPaused: it.GapPaused,
	}
}

// changed is the session as an update found it (ALL_OLD), with the state
// version that update wrote: every update that returns the session as it was
// adds 1 to stateVersion, atomically with reading the old value, so the
// domain can stamp the messages reporting the change.
func (it sessionItem) changed() session.Session {
	s := it.domain()
	s.StateVersion++
	return s
}

func (c Config) newConnectionItem(x session.Connection) connectionItem {
	return connectionItem{
		ConnectionID: x.ID, SessionID: x.SessionID, TargetLanguage: x.TargetLanguage, Role: string(x.Role), UserID: x.UserID,
		ConnectedAt: ms(x.ConnectedAt), LastSeenAt: ms(x.LastSeenAt), SourceIPHash: x.SourceIPHash, ResumeHash: x.ResumeHash,
		HeldUntil: msOrZero(x.HeldUntil),
		TTL:       x.ConnectedAt.Add(c.ConnectionMaxDuration + c.RetentionBuffer).Unix(),
	}
}

func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

func (it connectionItem) closing() bool { return it.ClosingSince != 0 }

func (it connectionItem) domain() session.Connection {
	if it.closing() {
		return session.Connection{ID: it.ConnectionID, SessionID: it.ClosingSession, ClosingSince: fromMS(it.ClosingSince), ClosingReason: it.ClosingReason}
	}
	return session.Connection{
		ID: it.ConnectionID, SessionID: it.SessionID, TargetLanguage: it.TargetLanguage, Role: session.Role(it.Role), UserID: it.UserID,
		ConnectedAt: fromMS(it.ConnectedAt), LastSeenAt: fromMS(it.LastSeenAt), SourceIPHash: it.SourceIPHash, ResumeHash: it.ResumeHash,
		HeldUntil: fromMS(it.HeldUntil),
	}
}

func (c Config) sessionTTL(expiresAt time.Time) int64 {
	return expiresAt.Add(c.RetentionBuffer).Unix()
}
