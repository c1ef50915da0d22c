package session

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
)

// FanoutResult says what a fan-out achieved. A broadcast's result counts the
// posts of the pages its own invocation made; the pages it handed to other
// invocations report in theirs (logs and metrics).
type FanoutResult struct {
	Delivered int
	Gone      []Connection // answered 410: their records must go
	Failed    int          // other errors (unavailable, throttled past every retry, the invocation's deadline)
	// Stale messages were not posted because their age had passed: for
	// audio, fresh beats complete (a lagging system sheds instead of
	// falling behind).
	Stale int
	// Throttled counts 429 answers, each followed by a retry or a drop.
	Throttled int
	// Listeners is the audience of the whole broadcast, every page.
	Listeners int
	// PagesScheduled is how many pages other invocations post.
	PagesScheduled int
}

func (r *FanoutResult) add(o FanoutResult) {
	r.Delivered += o.Delivered
	r.Gone = append(r.Gone, o.Gone...)
	r.Failed += o.Failed
	r.Stale += o.Stale
	r.Throttled += o.Throttled
}

// fanoutOptions shape one fan-out.
type fanoutOptions struct {
	closeAfter bool      // disconnect each connection after its post (an ending)
	deadline   time.Time // no post starts at or after it; zero: none
}

// fanOut sends msg to every connection with at most cfg.FanoutWorkers posts
// in flight, then, when closeAfter is set, disconnects each one it reached.
// It stops starting new posts when ctx ends (the Lambda deadline).
func (s *Service) fanOut(ctx context.Context, conns []Connection, msg Message, closeAfter bool) FanoutResult {
	return s.fanOutWith(ctx, conns, msg, fanoutOptions{closeAfter: closeAfter})
}

func (s *Service) fanOutWith(ctx context.Context, conns []Connection, msg Message, o fanoutOptions) FanoutResult {
	var (
		mu  sync.Mutex
		res FanoutResult
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.FanoutWorkers)
	for _, c := range conns {
		if gctx.Err() != nil {
			mu.Lock()
			res.Failed++
			mu.Unlock()
			continue
		}
		if s.expired(o.deadline) {
			// Checked before taking a worker, so a late page drops its
			// remaining posts at once instead of one worker at a time.
			mu.Lock()
			res.Stale++
			mu.Unlock()
			continue
		}
		g.Go(func() error {
			outcome, throttled, err := s.post(gctx, c.ID, msg, o.deadline)
			mu.Lock()
			res.Throttled += throttled
			switch outcome {
			case postDelivered:
				res.Delivered++
			case postGone:
				res.Gone = append(res.Gone, c)
			case postStale:
				res.Stale++
			default:
				res.Failed++
			}
			mu.Unlock()
			if outcome == postFailed {
				s.log.WarnContext(ctx, "fan-out post failed", "operation", "fanOut", "correlationId", c.SessionID, "error", err.Error())
			}
			if o.closeAfter {
				if err := s.messenger.Disconnect(gctx, c.ID); err != nil && !errors.Is(err, ErrConnectionGone) {
					s.log.WarnContext(ctx, "disconnect after fan-out failed", "operation", "fanOut", "correlationId", c.SessionID, "error", err.Error())
				}
			}
			return nil
		})
	}
	_ = g.Wait() // workers never return errors: each outcome is counted
	return res
}

// Broadcast sends an opaque payload from the audio pipeline to every listener
// of (sessionID, lang), with no age limit: BroadcastTo with only those.
func (s *Service) Broadcast(ctx context.Context, sessionID, lang string, payload Payload) (FanoutResult, error) {
	return s.BroadcastTo(ctx, BroadcastRequest{SessionID: sessionID, Language: lang, Payload: payload})
}

// BroadcastRequest is one message of the audio pipeline for the listeners
// of one language of a session.
type BroadcastRequest struct {
	SessionID string
	Language  string
	Payload   Payload
	// MaxAge drops the message for every listener it has not reached this
	// long after the broadcast arrived; 0: it is never dropped.
	MaxAge time.Duration
}

// BroadcastTo sends req's payload to every listener of its session and
// language, in pages (broadcast_pages.go), and drops the connections that
// are gone. Who the listeners are is read at most once per
// AudienceCacheFor (audiences).
func (s *Service) BroadcastTo(ctx context.Context, req BroadcastRequest) (FanoutResult, error) {
	received := s.now()
	if !s.words.valid(req.SessionID) {
		return FanoutResult{}, &Error{Code: CodeInvalidSessionID, Field: "sessionId", Message: "Session id must look like faithful-shepherd-427"}
	}
	if err := s.checkTargetLanguage(req.Language); err != nil {
		return FanoutResult{}, err
	}
	key := audienceKey{req.SessionID, req.Language}
	listeners, err := s.audience(ctx, key)
	if err != nil {
		return FanoutResult{}, classify(req.SessionID, err)
	}
	o := fanoutOptions{}
	if req.MaxAge > 0 {
		o.deadline = received.Add(req.MaxAge)
	}
	res := s.paged(ctx, req.SessionID, req.Language, listeners, req.Payload, o)
	res.Listeners = len(listeners)
	s.audiences.dropGone(key, res.Gone)
	s.dropGone(ctx, res.Gone)
	return res, nil
}

// dropGone cleans up connections that @connections reported gone, exactly as
// if their $disconnect had arrived for a lost connection (a listener may
// still come back for its seat).
func (s *Service) dropGone(ctx context.Context, gone []Connection) {
	for _, c := range gone {
		if err := s.Disconnect(ctx, c.ID, 0); err != nil {
			s.log.WarnContext(ctx, "dropping gone connection failed", "operation", "fanOut", "correlationId", c.SessionID, "error", err.Error())
		}
	}
}
