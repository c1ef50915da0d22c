package session

import (
	"context"
	"errors"
)

// speakerLost keeps a session whose speaker's connection was lost: listeners
// are told when it will end unless the speaker returns, and the broadcast
// pauses (the original listener clients show the gap as a pause).
func (s *Service) speakerLost(ctx context.Context, speaker Connection) error {
	deadline := s.now().Add(s.cfg.ReconnectWindow)
	before, err := s.sessions.SpeakerLost(ctx, speaker.SessionID, speaker.ID, deadline)
	switch {
	case errors.Is(err, ErrNotSpeaker), errors.Is(err, ErrNotFound), errors.Is(err, ErrReplayed):
		// A replaced connection, an ended session, or a window already open.
		return nil
	case err != nil:
		return classify(speaker.SessionID, err)
	}
	s.log.InfoContext(ctx, "speaker connection lost; session waits", "operation", "disconnect", "correlationId", speaker.SessionID, "reconnectDeadline", deadline.UnixMilli())
	listeners, err := s.connectedListeners(ctx, speaker.SessionID)
	if err != nil {
		return classify(speaker.SessionID, err)
	}
	v := before.StateVersion
	msgs := []Message{SpeakerDisconnected{SessionID: speaker.SessionID, ReconnectDeadline: deadline, StateVersion: v}}
	if !before.EffectiveBroadcast().Paused {
		paused := before.Broadcast
		paused.Paused = true
		msgs = append(msgs, BroadcastChanged{SessionID: speaker.SessionID, State: paused, StateVersion: v}, PausedChanged{SessionID: speaker.SessionID, Paused: true, StateVersion: v})
		s.publishPause(ctx, speaker.SessionID, true, PauseSpeakerLost, v)
	}
	s.tellAll(ctx, speaker.SessionID, listeners, msgs...)
	return nil
}

// announceReturn tells listeners their speaker is back, and resumes the
// broadcast if only the gap had paused it.
func (s *Service) announceReturn(ctx context.Context, sessionID string, r SpeakerReturn) {
	listeners, err := s.connectedListeners(ctx, sessionID)
	if err != nil {
		s.log.WarnContext(ctx, "speaker's return not announced", "operation", "refreshConnection", "correlationId", sessionID, "error", err.Error())
		return
	}
	msgs := []Message{SpeakerReconnected{SessionID: sessionID, StateVersion: r.StateVersion}}
	if r.Resumed {
		msgs = append(msgs, BroadcastChanged{SessionID: sessionID, State: r.Broadcast, StateVersion: r.StateVersion}, PausedChanged{SessionID: sessionID, Paused: false, StateVersion: r.StateVersion})
	}
	s.tellAll(ctx, sessionID, listeners, msgs...)
}

// tellAll sends each message, in order, to every connection, and cleans up
// the ones that turned out gone.
//
// A connection that answers gone may have been replaced (a refresh or a
// resume) after conns was read: its successor, registered by then, is read
// and told too, so a change never falls between a connection and the one
// that took its seat. That costs one more read, only when something was gone.
func (s *Service) tellAll(ctx context.Context, sessionID string, conns []Connection, msgs ...Message) {
	var gone []Connection
	for _, m := range msgs {
		gone = append(gone, s.fanOut(ctx, conns, m, false).Gone...)
	}
	if len(gone) > 0 {
		gone = append(gone, s.tellSuccessors(ctx, sessionID, conns, msgs)...)
	}
	s.dropGone(ctx, uniqueConnections(gone))
}

// tellSuccessors tells msgs to the session's listeners that were not in
// told, and returns those that answered gone.
func (s *Service) tellSuccessors(ctx context.Context, sessionID string, told []Connection, msgs []Message) []Connection {
	now, err := s.connectedListeners(ctx, sessionID)
	if err != nil {
		s.log.WarnContext(ctx, "successors not told", "operation", "tellAll", "correlationId", sessionID, "error", err.Error())
		return nil
	}
	seen := map[string]bool{}
	for _, c := range told {
		seen[c.ID] = true
	}
	var late, gone []Connection
	for _, c := range now {
		if !seen[c.ID] {
			late = append(late, c)
		}
	}
	if len(late) == 0 {
		return nil
	}
	for _, m := range msgs {
		gone = append(gone, s.fanOut(ctx, late, m, false).Gone...)
	}
	return gone
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
