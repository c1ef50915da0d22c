package session

import (
	"context"
	"errors"
	"math"
	"time"
)

// Heartbeat records that a connection is alive and answers it. Past the
// refresh and warning ages it also says so, once each: exactly on the first
// heartbeat after the threshold, which the previous heartbeat's time tells
// without another write.
//
// requestID identifies the delivery (API Gateway's request id): a replay of
// the same one is answered again but changes nothing.
func (s *Service) Heartbeat(ctx context.Context, connectionID, requestID string) error {
	now := s.now()
	prev, err := s.conns.Touch(ctx, connectionID, requestID, now, s.cfg.HeartbeatsPerMinute)
	if errors.Is(err, ErrReplayed) {
		s.log.InfoContext(ctx, "duplicate heartbeat ignored", "operation", "heartbeat", "correlationId", HashID(connectionID))
		return classify(prev.SessionID, s.messenger.Send(ctx, connectionID, HeartbeatAck{}))
	}
	if err != nil {
		return classify(prev.SessionID, err)
	}
	if err := s.messenger.Send(ctx, connectionID, HeartbeatAck{}); err != nil {
		return classify(prev.SessionID, err)
	}
	before, age := prev.LastSeenAt.Sub(prev.ConnectedAt), now.Sub(prev.ConnectedAt)
	crossed := func(threshold time.Duration) bool { return before < threshold && age >= threshold }
	if crossed(s.cfg.RefreshAfter) {
		msg := RefreshRequired{SessionID: prev.SessionID, Role: prev.Role, TargetLanguage: prev.TargetLanguage}
		if err := s.messenger.Send(ctx, connectionID, msg); err != nil {
			return classify(prev.SessionID, err)
		}
	}
	if prev.Role == RoleSpeaker && crossed(s.cfg.WarningAfter) {
		left := int(math.Ceil((s.cfg.ConnectionMaxDuration - age).Minutes()))
		if err := s.messenger.Send(ctx, connectionID, ConnectionWarning{RemainingMinutes: max(left, 0)}); err != nil {
			return classify(prev.SessionID, err)
		}
	}
	return nil
}
