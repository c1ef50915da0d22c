package router

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/livecast/sessions/session"
)

// welcomeEvent carries a session.Welcome from the $connect invocation to the
// asynchronous one that sends it. The router owns this format like any
// other: the domain's types carry no JSON tags.
type welcomeEvent struct {
	Internal       string          `json:"sessionService"`
	Kind           string          `json:"kind"`
	ConnectionID   string          `json:"connectionId"`
	SessionID      string          `json:"sessionId"`
	Role           string          `json:"role"`
	TargetLanguage string          `json:"targetLanguage,omitempty"`
	SourceLanguage string          `json:"sourceLanguage,omitempty"`
	QualityTier    string          `json:"qualityTier,omitempty"`
	ExpiresAt      int64           `json:"expiresAt,omitempty"` // Unix ms
	Options        *welcomeOptions `json:"options,omitempty"`
	ResumeToken    string          `json:"resumeToken,omitempty"`
	Audience       *welcomeAud     `json:"audience,omitempty"`
	Return         *welcomeReturn  `json:"speakerReturn,omitempty"`
	Replaces       string          `json:"replaces,omitempty"` // closed once this connection is welcomed
}

type welcomeOptions struct {
	PartialResults   bool    `json:"partialResults"`
	MinStability     float64 `json:"minStability"`
	MaxBufferTimeout float64 `json:"maxBufferTimeout"`
}

type welcomeAud struct {
	SpeakerConnectionID string         `json:"speakerConnectionId,omitempty"`
	Total               int            `json:"total"`
	ByLanguage          map[string]int `json:"byLanguage"`
	StateVersion        int64          `json:"stateVersion"`
}

type welcomeReturn struct {
	Paused       bool    `json:"paused"`
	Muted        bool    `json:"muted"`
	Volume       float64 `json:"volume"`
	Resumed      bool    `json:"resumed"`
	StateVersion int64   `json:"stateVersion"`
}

func encodeWelcome(w session.Welcome) ([]byte, error) {
	ev := welcomeEvent{
		Internal: internalWelcome, Kind: w.Kind, ConnectionID: w.ConnectionID, SessionID: w.SessionID, Role: string(w.Role),
		TargetLanguage: w.TargetLanguage, SourceLanguage: w.SourceLanguage, QualityTier: w.QualityTier, ResumeToken: w.ResumeToken,
		Replaces: w.Replaces,
	}
	if !w.ExpiresAt.IsZero() {
		ev.ExpiresAt = w.ExpiresAt.UnixMilli()
	}
	if w.Kind == session.WelcomeCreated {
		ev.Options = &welcomeOptions{PartialResults: w.Options.PartialResults, MinStability: w.Options.MinStability, MaxBufferTimeout: w.Options.MaxBufferTimeout}
	}
	if a := w.Audience; a != nil {
		ev.Audience = &welcomeAud{SpeakerConnectionID: a.SpeakerConnectionID, Total: a.Total, ByLanguage: a.ByLanguage, StateVersion: a.StateVersion}
	}
	if r := w.Return; r != nil {
		ev.Return = &welcomeReturn{Paused: r.Broadcast.Paused, Muted: r.Broadcast.Muted, Volume: r.Broadcast.Volume, Resumed: r.Resumed, StateVersion: r.StateVersion}
	}
	return json.Marshal(ev)
}

func (ev welcomeEvent) domain() session.Welcome {
	w := session.Welcome{
		Kind: ev.Kind, ConnectionID: ev.ConnectionID, SessionID: ev.SessionID, Role: session.Role(ev.Role),
		TargetLanguage: ev.TargetLanguage, SourceLanguage: ev.SourceLanguage, QualityTier: ev.QualityTier, ResumeToken: ev.ResumeToken,
		Replaces: ev.Replaces,
	}
	if ev.ExpiresAt != 0 {
		w.ExpiresAt = time.UnixMilli(ev.ExpiresAt)
	}
	if o := ev.Options; o != nil {
		w.Options = session.StreamOptions{PartialResults: o.PartialResults, MinStability: o.MinStability, MaxBufferTimeout: o.MaxBufferTimeout}
	}
	if a := ev.Audience; a != nil {
		w.Audience = &session.Audience{SpeakerConnectionID: a.SpeakerConnectionID, Total: a.Total, ByLanguage: a.ByLanguage, StateVersion: a.StateVersion}
	}
	if r := ev.Return; r != nil {
		w.Return = &session.SpeakerReturn{Broadcast: session.BroadcastState{Paused: r.Paused, Muted: r.Muted, Volume: r.Volume}, Resumed: r.Resumed, StateVersion: r.StateVersion}
	}
	return w
}

func (r *Router) scheduleWelcome(ctx context.Context, w session.Welcome) error {
	ev, err := encodeWelcome(w)
	if err != nil {
		return fmt.Errorf("encode welcome: %w", err)
	}
	return r.scheduler.Schedule(ctx, ev)
}
