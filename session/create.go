package session

import (
	"context"
	"errors"
	"time"
)

// create opens a session for a verified speaker under a fresh id.
func (s *Service) create(ctx context.Context, req ConnectRequest, p connectParams) (Welcome, error) {
	now := s.now()
	if err := s.takeConnectionAttempt(ctx, req); err != nil {
		return Welcome{}, err
	}
	id, err := s.verify(ctx, p.token)
	if err != nil {
		return Welcome{}, err
	}
	if err := s.take(ctx, "user:"+id.UserID, req.ConnectionID, Limit{Name: "sessionCreations", Max: s.cfg.SessionsPerHour, Window: time.Hour}); err != nil {
		return Welcome{}, err
	}
	speaker := Connection{ID: req.ConnectionID, Role: RoleSpeaker, UserID: id.UserID, ConnectedAt: now, LastSeenAt: now, SourceIPHash: HashID(req.SourceIP)}
	sess := Session{
		SpeakerConnectionID: req.ConnectionID,
		SpeakerUserID:       id.UserID,
		SourceLanguage:      p.sourceLanguage,
		QualityTier:         p.qualityTier,
		Options:             p.options,
		CreatedAt:           now,
		ExpiresAt:           now.Add(s.cfg.SessionMaxDuration),
		Active:              true,
		ByLanguage:          map[string]int{},
		Broadcast:           BroadcastState{Volume: 1},
		StateVersion:        1,
	}
	for attempt := 1; ; attempt++ {
		if sess.ID, err = s.words.generate(); err != nil {
			return Welcome{}, classify("", err)
		}
		speaker.SessionID = sess.ID
		err = s.sessions.Create(ctx, sess, speaker)
		switch {
		case err == nil:
			s.log.InfoContext(ctx, "session created", "operation", "createSession", "correlationId", sess.ID, "userId", id.UserID, "sourceLanguage", sess.SourceLanguage, "qualityTier", sess.QualityTier)
			// Before the welcome, so the pipeline knows the settings before any audio.
			s.publish(ctx, PipelineEvent{Kind: PipelineOpened, SessionID: sess.ID, StateVersion: sess.StateVersion,
				SourceLanguage: sess.SourceLanguage, QualityTier: sess.QualityTier, Options: sess.Options})
			return Welcome{Kind: WelcomeCreated, ConnectionID: req.ConnectionID, SessionID: sess.ID, Role: RoleSpeaker,
				SourceLanguage: sess.SourceLanguage, QualityTier: sess.QualityTier, ExpiresAt: sess.ExpiresAt, Options: sess.Options}, nil
		case errors.Is(err, ErrDuplicateConnection):
			return s.replayed(ctx, req), nil
		case errors.Is(err, ErrSessionIDTaken) && attempt < s.cfg.MaxSessionIDAttempts:
			continue
		case errors.Is(err, ErrSessionIDTaken):
			return Welcome{}, &Error{Code: CodeServiceUnavailable, Message: "Could not allocate a session id, try again", Err: err}
		default:
			return Welcome{}, classify("", err)
		}
	}
}
