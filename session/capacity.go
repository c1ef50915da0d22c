package session

import (
	"context"
	"errors"
)

// seat is a listener admitted through the one door of capacity.
type seat struct {
	session     Session // the session right after this listener was counted
	resumeToken string
}

// admit is capacity's one door: every listener that adds to the audience
// (a join, or a refresh that replaces nothing) comes through here.
//
// The count is taken first, with a single-item conditional write on the
// session (capacity check and increment in one step), and the record is
// written second. A join storm makes the session item a hot key: DynamoDB
// serialises single-item writes to it, while transactions on it would cancel
// each other (TransactionConflict). Counting first means a crash between the
// two writes leaves a count without a record, never a listener over capacity;
// the sweep reconciles the count.
func (s *Service) admit(ctx context.Context, conn Connection) (seat, error) {
	sess, err := s.sessions.Admit(ctx, conn.SessionID, conn.TargetLanguage, s.cfg.MaxListenersPerSession, s.now())
	if err != nil {
		return seat{}, err
	}
	token, hash, err := newResumeToken(conn.ID)
	if err != nil {
		s.undoAdmit(ctx, conn)
		return seat{}, err
	}
	conn.ResumeHash = hash
	if err := s.conns.Register(ctx, conn); err != nil {
		// A replayed $connect (the record exists) or a failure: either way
		// this call's count must not stay.
		s.undoAdmit(ctx, conn)
		return seat{}, err
	}
	return seat{session: sess, resumeToken: token}, nil
}

// undoAdmit gives back a seat whose record was not written. If this fails
// too, the sweep's reconciliation corrects the count.
func (s *Service) undoAdmit(ctx context.Context, conn Connection) {
	if err := s.sessions.Unadmit(ctx, conn.SessionID, conn.TargetLanguage); err != nil && !errors.Is(err, ErrNotCounted) {
		s.log.WarnContext(ctx, "admission not undone; the sweep will reconcile", "operation", "admit", "correlationId", conn.SessionID, "error", err.Error())
	}
}
