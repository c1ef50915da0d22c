package session

import "context"

// Status answers getSessionStatus for the session of connectionID.
func (s *Service) Status(ctx context.Context, connectionID string) error {
	conn, err := s.conns.Get(ctx, connectionID)
	if err != nil {
		return classify("", err)
	}
	sess, err := s.sessions.Get(ctx, conn.SessionID)
	if err != nil {
		return classify(conn.SessionID, err)
	}
	a := audienceOf(sess)
	return classify(sess.ID, s.messenger.Send(ctx, connectionID, Status{
		SessionID: sess.ID, Active: sess.Live(s.now()), ListenerCount: a.Total, ByLanguage: a.ByLanguage,
		ExpiresAt: sess.ExpiresAt, Broadcast: sess.EffectiveBroadcast(), SpeakerConnected: sess.SpeakerConnected(),
	}))
}
