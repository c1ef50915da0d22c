package session

import (
	"context"
	"errors"
)

// join admits an anonymous listener to a live session below capacity.
func (s *Service) join(ctx context.Context, req ConnectRequest, p connectParams) (Welcome, error) {
	if err := s.takeNewSeat(ctx, req, p.sessionID); err != nil {
		return Welcome{}, withSession(err, p.sessionID)
	}
	st, err := s.admit(ctx, s.newListener(req, p))
	switch {
	case errors.Is(err, ErrDuplicateConnection), errors.Is(err, ErrSessionFull) && s.registered(ctx, req.ConnectionID):
		return s.replayed(ctx, req), nil
	case err != nil:
		return Welcome{}, classify(p.sessionID, err)
	}
	s.audiences.forget(p.sessionID, p.targetLanguage)
	return s.listenerWelcome(WelcomeJoined, req, p, st), nil
}

// registered reports whether a connection already has its record: a
// refused admission may be the replay of one that took the last seat. Only
// the refusal path pays this read.
func (s *Service) registered(ctx context.Context, connectionID string) bool {
	_, err := s.conns.Get(ctx, connectionID)
	return err == nil
}

func (s *Service) newListener(req ConnectRequest, p connectParams) Connection {
	now := s.now()
	return Connection{ID: req.ConnectionID, SessionID: p.sessionID, Role: RoleListener, TargetLanguage: p.targetLanguage,
		ConnectedAt: now, LastSeenAt: now, SourceIPHash: HashID(req.SourceIP)}
}

func (s *Service) listenerWelcome(kind string, req ConnectRequest, p connectParams, st seat) Welcome {
	w := Welcome{Kind: kind, ConnectionID: req.ConnectionID, SessionID: p.sessionID, Role: RoleListener,
		TargetLanguage: p.targetLanguage, ResumeToken: st.resumeToken}
	if st.session.ID != "" {
		a := audienceOf(st.session)
		w.SourceLanguage = st.session.SourceLanguage
		w.Audience = &a
	}
	return w
}
