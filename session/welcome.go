package session

import (
	"context"
	"errors"
	"time"
)

// Welcome kinds: which first message a new connection gets.
const (
	WelcomeCreated   = "created"
	WelcomeJoined    = "joined"
	WelcomeRefreshed = "refreshed"
)

// Welcome describes the first message of an admitted connection. It cannot be
// sent during $connect (API Gateway refuses posts until $connect returns), so
// the router schedules it and hands it back to Service.Welcome afterwards. It
// carries what the admission learnt, so the welcome costs no read.
type Welcome struct {
	Kind           string
	ConnectionID   string
	SessionID      string
	Role           Role
	TargetLanguage string
	SourceLanguage string
	QualityTier    string
	ExpiresAt      time.Time
	Options        StreamOptions
	ResumeToken    string // listeners
	// Audience is the session's counts right after this admission, for the
	// listener's welcome and the speaker's listenerCount; nil when no count
	// changed.
	Audience *Audience
	// Return is set when a speaker came back within its reconnect window.
	Return *SpeakerReturn
	// Replayed is set when this $connect repeats one already admitted: no
	// state changed and the first one's welcome is already on its way.
	Replayed bool
	// Replaces is the connection this one took the seat (or speakership)
	// from, closed once this one is welcomed.
	Replaces string
}

// Audience is who listens to a session, as its speaker sees it.
type Audience struct {
	SpeakerConnectionID string
	Total               int
	ByLanguage          map[string]int
	StateVersion        int64 // of the counts
}

// SpeakerReturn is what listeners are told when their speaker is back.
type SpeakerReturn struct {
	Broadcast    BroadcastState // the speaker's own controls, which stay
	Resumed      bool           // the gap had paused the broadcast: it plays again
	StateVersion int64          // of the return
}

func audienceOf(sess Session) Audience {
	by := make(map[string]int, len(sess.ByLanguage))
	for lang, n := range sess.ByLanguage {
		if n > 0 {
			by[lang] = n
		}
	}
	speaker := sess.SpeakerConnectionID
	if !sess.Active || !sess.SpeakerConnected() {
		speaker = ""
	}
	return Audience{SpeakerConnectionID: speaker, Total: sess.ListenerCount, ByLanguage: by, StateVersion: sess.StateVersion}
}

// Welcome sends a new connection its first message, retrying while API
// Gateway still reports the connection as gone (it may not be open yet).
func (s *Service) Welcome(ctx context.Context, w Welcome) error {
	var msg Message
	switch w.Kind {
	case WelcomeCreated:
		msg = SessionCreated{SessionID: w.SessionID, SourceLanguage: w.SourceLanguage, QualityTier: w.QualityTier, ConnectionID: w.ConnectionID, ExpiresAt: w.ExpiresAt, Options: w.Options, Heartbeat: s.cfg.HeartbeatInterval}
	case WelcomeRefreshed:
		msg = RefreshComplete{SessionID: w.SessionID, Role: w.Role, TargetLanguage: w.TargetLanguage, ResumeToken: w.ResumeToken, Heartbeat: s.cfg.HeartbeatInterval}
		if w.Return != nil {
			defer s.announceReturn(ctx, w.SessionID, *w.Return)
		}
	case WelcomeJoined:
		if w.Audience == nil {
			return &Error{Code: CodeInternal, Message: "join welcome without its audience"}
		}
		msg = SessionJoined{SessionID: w.SessionID, TargetLanguage: w.TargetLanguage, SourceLanguage: w.SourceLanguage, ConnectionID: w.ConnectionID,
			ListenerCount: w.Audience.Total, ResumeToken: w.ResumeToken, Heartbeat: s.cfg.HeartbeatInterval}
	default:
		return &Error{Code: CodeInternal, Message: "unknown welcome kind " + Truncate(w.Kind, 32)}
	}
	if w.Audience != nil {
		// The speaker hears the new count (a new speaker connection starts
		// knowing its audience), after the welcome is on its way.
		defer s.notifySpeaker(ctx, w.SessionID, *w.Audience)
	}
	err := s.sendWhenOpen(ctx, w.ConnectionID, msg)
	// The replaced connection goes whether or not this one opened: it has
	// no seat either way.
	s.closeReplaced(ctx, w.SessionID, w.Replaces)
	return err
}

func (s *Service) sendWhenOpen(ctx context.Context, connID string, msg Message) error {
	deadline := s.now().Add(s.cfg.WelcomeRetryFor)
	wait := 25 * time.Millisecond
	for {
		err := s.messenger.Send(ctx, connID, msg)
		// Gone: not open yet. Throttled: the account's request quota (429),
		// worth the same patience; a welcome is the client's first word.
		retry := errors.Is(err, ErrConnectionGone) || errors.Is(err, ErrThrottled)
		if !retry || !s.now().Add(wait).Before(deadline) {
			if err != nil {
				return classify("", err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return classify("", ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// notifySpeaker pushes the audience size to the speaker (docs/SPEC.md X2). Best
// effort: a speaker that is gone is cleaned up by its own $disconnect.
func (s *Service) notifySpeaker(ctx context.Context, sessionID string, a Audience) {
	if a.SpeakerConnectionID == "" {
		return
	}
	err := s.messenger.Send(ctx, a.SpeakerConnectionID, ListenerCount{SessionID: sessionID, Total: a.Total, ByLanguage: a.ByLanguage, StateVersion: a.StateVersion})
	if err != nil && !errors.Is(err, ErrConnectionGone) {
		s.log.WarnContext(ctx, "listener count not delivered", "operation", "notifySpeaker", "correlationId", sessionID, "error", err.Error())
	}
}
