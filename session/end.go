package session

import (
	"context"
	"errors"
)

// EndSession ends a session whose speaker connection is speakerConnectionID:
// every listener gets SessionEnded and is disconnected, and every listener
// record is removed. If the speaker refreshed meanwhile, the old
// connection's end changes nothing.
//
// Each open listener's record is replaced by a closing mark before the
// listener is closed, so the $disconnect each close triggers finds the mark,
// deletes it and does nothing else: one request. The ending itself writes
// nothing after its closes, so it never waits behind their $disconnects. If
// this invocation dies midway, what it left tells the sweep what to finish:
// records of a session no longer live (before the marks) or marks older than
// ClosingGrace (after them). No listener stays connected and invisible.
func (s *Service) EndSession(ctx context.Context, sessionID, speakerConnectionID, reason string) error {
	_, _, err := s.endSession(ctx, sessionID, speakerConnectionID, reason)
	return err
}

// endSession is EndSession that also says whether this call ended it, and
// with which state version.
//
// The end comes first and the audience read after it: a connection the
// speaker replaced (its refresh closes the old one, whose $disconnect
// arrives here) costs the refused end alone, and once the session is over
// no listener can join, so the read is the whole audience. If this
// invocation dies between the two, the sweep finds records of a session no
// longer live and closes them.
func (s *Service) endSession(ctx context.Context, sessionID, speakerConnectionID, reason string) (ended bool, version int64, err error) {
	before, err := s.sessions.End(ctx, sessionID, speakerConnectionID, reason, s.now())
	switch {
	case errors.Is(err, ErrNotSpeaker):
		s.log.InfoContext(ctx, "replaced speaker connection closed", "operation", "disconnect", "correlationId", sessionID)
		return false, 0, nil
	case errors.Is(err, ErrNotFound):
		return false, 0, nil
	case err != nil:
		return false, 0, classify(sessionID, err)
	}
	listeners, err := s.conns.Audience(ctx, sessionID, "")
	if err != nil {
		return true, before.StateVersion, classify(sessionID, err)
	}
	s.log.InfoContext(ctx, "session ended", "operation", "endSession", "correlationId", sessionID, "reason", reason, "listeners", len(listeners))
	s.publish(ctx, PipelineEvent{Kind: PipelineEnded, SessionID: sessionID, StateVersion: before.StateVersion, Reason: reason})
	msg := SessionEnded{SessionID: sessionID, Reason: reason, StateVersion: before.StateVersion}
	return true, before.StateVersion, s.closeListeners(ctx, listeners, msg)
}

// closeListeners marks the records of an ended session's open listeners as
// closing, tells each why before closing it, and removes the held seats
// (their connections are gone already).
func (s *Service) closeListeners(ctx context.Context, listeners []Connection, ended SessionEnded) error {
	sessionID := ended.SessionID
	open, held := splitHeld(listeners)
	if err := s.conns.MarkClosing(ctx, sessionID, ended.Reason, idsOf(open), s.now()); err != nil {
		return classify(sessionID, err)
	}
	s.audiences.forget(sessionID)
	// The same pages as a broadcast: an ending of thousands must finish
	// within the invocation's deadline on AWS's post latency too.
	res := s.paged(ctx, sessionID, "", open, ended, fanoutOptions{closeAfter: true})
	s.log.InfoContext(ctx, "listeners closed", "operation", "endSession", "correlationId", sessionID, "listeners", len(listeners), "delivered", res.Delivered, "gone", len(res.Gone), "pagesScheduled", res.PagesScheduled)
	// Held seats last: if they stay, they are records of a session that is
	// over, which the sweep removes.
	if err := s.conns.DeleteMany(ctx, idsOf(held)); err != nil {
		return classify(sessionID, err)
	}
	return nil
}

// EndByRequest is the speaker's endSession action: the session ends at once
// for everyone, and the speaker's connection is closed after it is told.
func (s *Service) EndByRequest(ctx context.Context, connectionID string) error {
	conn, err := s.conns.Get(ctx, connectionID)
	if err != nil {
		return classify("", err)
	}
	if conn.Role != RoleSpeaker {
		return &Error{Code: CodeForbidden, Message: "Only the speaker can end the session", SessionID: conn.SessionID}
	}
	ended, version, err := s.endSession(ctx, conn.SessionID, connectionID, ReasonSpeakerEnded)
	if err != nil {
		return err
	}
	if !ended {
		// A connection the speaker replaced, or a session already over.
		return &Error{Code: CodeForbidden, Message: "Not the speaker of this session", SessionID: conn.SessionID}
	}
	if err := s.messenger.Send(ctx, connectionID, SessionEnded{SessionID: conn.SessionID, Reason: ReasonSpeakerEnded, StateVersion: version}); err != nil && !errors.Is(err, ErrConnectionGone) {
		return classify(conn.SessionID, err)
	}
	if err := s.messenger.Disconnect(ctx, connectionID); err != nil && !errors.Is(err, ErrConnectionGone) {
		return classify(conn.SessionID, err)
	}
	return nil
}

// idsOf lists the connections' ids.
func idsOf(conns []Connection) []string {
	ids := make([]string, len(conns))
	for i, c := range conns {
		ids[i] = c.ID
	}
	return ids
}

// connected leaves out held seats: their connections are already gone.
func connected(conns []Connection) []Connection {
	open, _ := splitHeld(conns)
	return open
}

// splitHeld separates the listeners that can be reached from the lost
// listeners' kept seats.
func splitHeld(conns []Connection) (open, held []Connection) {
	for _, c := range conns {
		if c.Held() {
			held = append(held, c)
		} else {
			open = append(open, c)
		}
	}
	return open, held
}

// connectedListeners lists the listeners of a session that can be reached.
func (s *Service) connectedListeners(ctx context.Context, sessionID string) ([]Connection, error) {
	listeners, err := s.conns.Audience(ctx, sessionID, "")
	return connected(listeners), err
}
