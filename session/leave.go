package session

import (
	"context"
	"errors"
)

// Disconnect cleans up after a connection that closed. Repeating it for the
// same connection changes nothing (API Gateway may deliver it twice, and the
// sweep may get there first).
func (s *Service) Disconnect(ctx context.Context, connectionID string) error {
	conn, err := s.store.RemoveConnection(ctx, connectionID)
	if errors.Is(err, ErrNotFound) {
		s.log.InfoContext(ctx, "duplicate $disconnect ignored", "operation", "disconnect", "correlationId", HashID(connectionID))
		return nil
	}
	if err != nil {
		return classify("", err)
	}
	if conn.Role == RoleSpeaker {
		return s.EndSession(ctx, conn.SessionID, connectionID, ReasonSpeakerDisconnected)
	}
	return s.releaseListener(ctx, conn, "disconnect")
}

func (s *Service) releaseListener(ctx context.Context, conn Connection, operation string) error {
	sess, err := s.store.ReleaseListener(ctx, conn.SessionID, conn.TargetLanguage)
	if errors.Is(err, ErrNotFound) {
		// The session ended (counts reset) or never counted this listener.
		return nil
	}
	if err != nil {
		return classify(conn.SessionID, err)
	}
	s.log.InfoContext(ctx, "listener left", "operation", operation, "correlationId", conn.SessionID, "targetLanguage", conn.TargetLanguage, "listenerCount", sess.ListenerCount)
	s.notifySpeaker(ctx, sess)
	return nil
}

// EndSession ends a session whose speaker connection speakerConnectionID is
// gone: every listener gets SessionEnded and is disconnected, and every
// record of the session is removed. If the speaker refreshed meanwhile, the
// old connection's end changes nothing.
func (s *Service) EndSession(ctx context.Context, sessionID, speakerConnectionID, reason string) error {
	_, err := s.store.EndSession(ctx, sessionID, speakerConnectionID, reason, s.now())
	switch {
	case errors.Is(err, ErrNotSpeaker):
		s.log.InfoContext(ctx, "replaced speaker connection closed", "operation", "disconnect", "correlationId", sessionID)
		return nil
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return classify(sessionID, err)
	}
	listeners, err := s.store.Listeners(ctx, sessionID, "")
	if err != nil {
		return classify(sessionID, err)
	}
	res := s.fanOut(ctx, listeners, SessionEnded{SessionID: sessionID, Reason: reason}, true)
	ids := make([]string, len(listeners))
	for i, c := range listeners {
		ids[i] = c.ID
	}
	if err := s.store.DeleteConnections(ctx, ids); err != nil {
		return classify(sessionID, err)
	}
	s.log.InfoContext(ctx, "session ended", "operation", "endSession", "correlationId", sessionID, "reason", reason, "listeners", len(listeners), "delivered", res.Delivered, "gone", len(res.Gone))
	return nil
}
