package session

import (
	"context"
	"errors"
)

// WebSocket close codes that tell a deliberate close from a lost connection
// (API Gateway reports them in requestContext.disconnectStatusCode).
const (
	CloseNormal    = 1000 // the client said goodbye
	CloseGoingAway = 1001 // a closing tab, or API Gateway's idle timeout
)

// Disconnect cleans up after a connection that closed with closeCode (0 when
// unknown). A deliberate close (1000; 1001 too for listeners) releases at
// once: a speaker's 1000 ends the session. Anything else is a lost
// connection (docs/PROTOCOL.md v1.1): a listener's seat is held, a speaker's
// session waits, each for ReconnectWindow.
//
// Repeating it for the same connection changes nothing (API Gateway may
// deliver it twice, and the sweep may get there first), and a connection
// whose record is already gone (its session ended) costs one request.
func (s *Service) Disconnect(ctx context.Context, connectionID string, closeCode int) error {
	if closeCode == CloseNormal || closeCode == CloseGoingAway {
		return s.closeDeliberately(ctx, connectionID, closeCode)
	}
	return s.loseConnection(ctx, connectionID)
}

func (s *Service) closeDeliberately(ctx context.Context, connectionID string, closeCode int) error {
	conn, err := s.conns.Remove(ctx, connectionID)
	if errors.Is(err, ErrNotFound) {
		s.log.InfoContext(ctx, "$disconnect of a connection already cleaned up", "operation", "disconnect", "correlationId", HashID(connectionID))
		return nil
	}
	if err != nil {
		return classify("", err)
	}
	if conn.Role == RoleListener {
		return s.releaseListener(ctx, conn, "disconnect")
	}
	if closeCode == CloseNormal {
		return s.EndSession(ctx, conn.SessionID, connectionID, ReasonSpeakerDisconnected)
	}
	return s.speakerLost(ctx, conn)
}

// loseConnection keeps a lost listener's seat, or opens a lost speaker's
// reconnect window. Holding is tried first: it is the only write a lost
// listener costs, and it learns the record's role.
func (s *Service) loseConnection(ctx context.Context, connectionID string) error {
	held, err := s.conns.Hold(ctx, connectionID, s.now().Add(s.cfg.ReconnectWindow))
	if errors.Is(err, ErrNotFound) {
		s.log.InfoContext(ctx, "$disconnect of a connection already cleaned up", "operation", "disconnect", "correlationId", HashID(connectionID))
		return nil
	}
	if err != nil {
		return classify("", err)
	}
	if held.Role == RoleListener {
		s.noteHeld(ctx, held)
		s.log.InfoContext(ctx, "listener connection lost; seat held", "operation", "disconnect", "correlationId", held.SessionID, "targetLanguage", held.TargetLanguage)
		return nil
	}
	// A speaker's record is not a seat: the session holds the window.
	if err := s.conns.DeleteMany(ctx, []string{connectionID}); err != nil {
		return classify(held.SessionID, err)
	}
	return s.speakerLost(ctx, held)
}

// releaseListener uncounts a listener whose record this call removed; only
// that caller may, so it runs even if the invocation's time ran out.
func (s *Service) releaseListener(ctx context.Context, conn Connection, operation string) error {
	ctx, cancel := detached(ctx)
	defer cancel()
	sess, err := s.sessions.Release(ctx, conn.SessionID, conn.TargetLanguage)
	if errors.Is(err, ErrNotCounted) {
		// The session ended (counts reset) or never counted this listener.
		return nil
	}
	if err != nil {
		return classify(conn.SessionID, err)
	}
	s.log.InfoContext(ctx, "listener left", "operation", operation, "correlationId", conn.SessionID, "targetLanguage", conn.TargetLanguage, "listenerCount", sess.ListenerCount)
	if languageEdge(sess, conn.TargetLanguage, false) {
		s.publishLanguages(ctx, sess)
	}
	s.notifySpeaker(ctx, sess.ID, audienceOf(sess))
	return nil
}
