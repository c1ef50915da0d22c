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
	prev, err := s.store.Touch(ctx, connectionID, requestID, now, s.cfg.HeartbeatsPerMinute)
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

// Status answers getSessionStatus for the session of connectionID.
func (s *Service) Status(ctx context.Context, connectionID string) error {
	conn, err := s.store.GetConnection(ctx, connectionID)
	if err != nil {
		return classify("", err)
	}
	sess, err := s.store.GetSession(ctx, conn.SessionID)
	if err != nil {
		return classify(conn.SessionID, err)
	}
	lc := listenerCount(sess)
	return classify(sess.ID, s.messenger.Send(ctx, connectionID, Status{
		SessionID: sess.ID, Active: sess.Live(s.now()), ListenerCount: lc.Total, ByLanguage: lc.ByLanguage,
		ExpiresAt: sess.ExpiresAt, Broadcast: sess.Broadcast,
	}))
}

// Control commands of speakerControl (and controlSession's pause/resume).
const (
	ControlPause  = "pause"
	ControlResume = "resume"
	ControlMute   = "mute"
	ControlUnmute = "unmute"
	ControlVolume = "volume"
)

// Control applies a speaker's control and mirrors the new state to every
// listener and the speaker; listeners also get the pause/resume message the
// original clients wait for when Paused changes.
func (s *Service) Control(ctx context.Context, connectionID, control string, value *float64) error {
	change, err := parseControl(control, value)
	if err != nil {
		return err
	}
	conn, err := s.store.GetConnection(ctx, connectionID)
	if err != nil {
		return classify("", err)
	}
	if conn.Role != RoleSpeaker {
		return &Error{Code: CodeForbidden, Message: "Only the speaker can control the session", SessionID: conn.SessionID}
	}
	before, err := s.store.SetBroadcast(ctx, conn.SessionID, connectionID, change)
	if err != nil {
		return classify(conn.SessionID, err)
	}
	state := before.Broadcast
	if change.Paused != nil {
		state.Paused = *change.Paused
	}
	if change.Muted != nil {
		state.Muted = *change.Muted
	}
	if change.Volume != nil {
		state.Volume = *change.Volume
	}
	listeners, err := s.store.Listeners(ctx, conn.SessionID, "")
	if err != nil {
		return classify(conn.SessionID, err)
	}
	res := s.fanOut(ctx, listeners, BroadcastChanged{SessionID: conn.SessionID, State: state}, false)
	if state.Paused != before.Broadcast.Paused {
		res2 := s.fanOut(ctx, listeners, PausedChanged{SessionID: conn.SessionID, Paused: state.Paused}, false)
		res.Gone = append(res.Gone, res2.Gone...)
	}
	s.dropGone(ctx, uniqueConnections(res.Gone))
	return classify(conn.SessionID, s.messenger.Send(ctx, connectionID, BroadcastChanged{SessionID: conn.SessionID, State: state}))
}

func parseControl(control string, value *float64) (BroadcastChange, error) {
	yes, no := true, false
	switch control {
	case ControlPause:
		return BroadcastChange{Paused: &yes}, nil
	case ControlResume:
		return BroadcastChange{Paused: &no}, nil
	case ControlMute:
		return BroadcastChange{Muted: &yes}, nil
	case ControlUnmute:
		return BroadcastChange{Muted: &no}, nil
	case ControlVolume:
		if value == nil || math.IsNaN(*value) || *value < 0 || *value > 1 {
			return BroadcastChange{}, invalidParam("value", "value must be a number from 0 to 1")
		}
		v := *value
		return BroadcastChange{Volume: &v}, nil
	case "":
		return BroadcastChange{}, invalidParam("control", "Missing required parameter: control")
	default:
		return BroadcastChange{}, invalidParam("control", "control must be pause, resume, mute, unmute or volume")
	}
}

func uniqueConnections(conns []Connection) []Connection {
	seen := map[string]bool{}
	out := conns[:0:0]
	for _, c := range conns {
		if !seen[c.ID] {
			seen[c.ID] = true
			out = append(out, c)
		}
	}
	return out
}

// ChangeLanguage switches a listener to another target language without a
// new connection; the speaker's per-language counts follow. The record and
// the counts change in one transaction, so a retried or repeated request
// cannot move the count twice.
func (s *Service) ChangeLanguage(ctx context.Context, connectionID, lang string) error {
	if lang == "" {
		return invalidParam("targetLanguage", "Missing required parameter: targetLanguage")
	}
	if err := s.checkTargetLanguage(lang); err != nil {
		return err
	}
	conn, err := s.store.GetConnection(ctx, connectionID)
	if err != nil {
		return classify("", err)
	}
	if conn.Role != RoleListener {
		return &Error{Code: CodeForbidden, Message: "Only listeners can change language", SessionID: conn.SessionID}
	}
	if conn.TargetLanguage != lang {
		err := s.store.SwitchLanguage(ctx, conn, lang)
		if err != nil && !errors.Is(err, ErrReplayed) {
			return classify(conn.SessionID, err)
		}
		if sess, err := s.store.GetSession(ctx, conn.SessionID); err == nil {
			defer s.notifySpeaker(ctx, sess)
		}
	}
	return classify(conn.SessionID, s.messenger.Send(ctx, connectionID, LanguageChanged{SessionID: conn.SessionID, TargetLanguage: lang}))
}
