package session

import (
	"context"
	"math"
)

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
	conn, err := s.conns.Get(ctx, connectionID)
	if err != nil {
		return classify("", err)
	}
	if conn.Role != RoleSpeaker {
		return &Error{Code: CodeForbidden, Message: "Only the speaker can control the session", SessionID: conn.SessionID}
	}
	before, err := s.sessions.SetBroadcast(ctx, conn.SessionID, connectionID, change)
	if err != nil {
		return classify(conn.SessionID, err)
	}
	state := change.applyTo(before.Broadcast)
	listeners, err := s.connectedListeners(ctx, conn.SessionID)
	if err != nil {
		return classify(conn.SessionID, err)
	}
	changed := BroadcastChanged{SessionID: conn.SessionID, State: state, StateVersion: before.StateVersion}
	msgs := []Message{changed}
	if state.Paused != before.Broadcast.Paused {
		msgs = append(msgs, PausedChanged{SessionID: conn.SessionID, Paused: state.Paused, StateVersion: before.StateVersion})
	}
	s.tellAll(ctx, conn.SessionID, listeners, msgs...)
	if was, is := before.EffectiveBroadcast().Paused, state.Paused || before.GapPaused; was != is {
		s.publishPause(ctx, conn.SessionID, is, PauseBySpeaker, before.StateVersion)
	}
	return classify(conn.SessionID, s.messenger.Send(ctx, connectionID, changed))
}

func (c BroadcastChange) applyTo(b BroadcastState) BroadcastState {
	if c.Paused != nil {
		b.Paused = *c.Paused
	}
	if c.Muted != nil {
		b.Muted = *c.Muted
	}
	if c.Volume != nil {
		b.Volume = *c.Volume
	}
	return b
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

// publishPause tells the pipeline the broadcast as listeners hear it paused
// or resumed, and why.
func (s *Service) publishPause(ctx context.Context, sessionID string, paused bool, reason string, version int64) {
	kind := PipelineResumed
	if paused {
		kind = PipelinePaused
	}
	s.publish(ctx, PipelineEvent{Kind: kind, SessionID: sessionID, StateVersion: version, Reason: reason})
}
