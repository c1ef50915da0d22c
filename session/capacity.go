package session

import (
	"context"
	"errors"
	"time"
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
	if languageEdge(sess, conn.TargetLanguage, true) {
		s.publishLanguages(ctx, sess)
	}
	return seat{session: sess, resumeToken: token}, nil
}

// undoAdmit gives back a seat whose record was not written. It runs even
// when the invocation's context has ended (a record write that timed out is
// the likeliest reason to be here), with a short deadline of its own. If
// this fails too, the sweep's reconciliation corrects the count.
func (s *Service) undoAdmit(ctx context.Context, conn Connection) {
	ctx, cancel := detached(ctx)
	defer cancel()
	if err := s.sessions.Unadmit(ctx, conn.SessionID, conn.TargetLanguage); err != nil && !errors.Is(err, ErrNotCounted) {
		s.log.WarnContext(ctx, "admission not undone; the sweep will reconcile", "operation", "admit", "correlationId", conn.SessionID, "error", err.Error())
	}
}

// cleanupTimeout bounds the writes that must follow one that already
// happened (undoing a count, uncounting a removed record). It covers the AWS
// client's whole retry schedule (three attempts of up to 3 s, with backoff),
// which 3 s cut short: in a storm of 500 leaves, requests that queue behind
// the others for more than 3 s lost their uncount and left the session's
// count too high until the sweep repaired it.
const cleanupTimeout = 10 * time.Second

// detached is ctx without its cancellation or deadline, bounded by
// cleanupTimeout: the second write of a pair must not be lost because the
// first used up the invocation's time.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
}
