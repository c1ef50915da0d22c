package session

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// FanoutResult says what a fan-out achieved.
type FanoutResult struct {
	Delivered int
	Gone      []Connection // answered 410: their records must go
	Failed    int          // other errors (throttling, deadline)
}

// fanOut sends msg to every connection with at most cfg.FanoutWorkers posts
// in flight, then, when closeAfter is set, disconnects each one it reached.
// It stops starting new posts when ctx ends (the Lambda deadline).
func (s *Service) fanOut(ctx context.Context, conns []Connection, msg Message, closeAfter bool) FanoutResult {
	var (
		delivered, failed atomic.Int64
		mu                sync.Mutex
		gone              []Connection
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.FanoutWorkers)
	for _, c := range conns {
		if gctx.Err() != nil {
			failed.Add(1)
			continue
		}
		g.Go(func() error {
			err := s.messenger.Send(gctx, c.ID, msg)
			switch {
			case errors.Is(err, ErrConnectionGone):
				mu.Lock()
				gone = append(gone, c)
				mu.Unlock()
				return nil
			case err != nil:
				failed.Add(1)
				s.log.WarnContext(ctx, "fan-out post failed", "operation", "fanOut", "correlationId", c.SessionID, "error", err.Error())
			default:
				delivered.Add(1)
			}
			if closeAfter {
				if err := s.messenger.Disconnect(gctx, c.ID); err != nil && !errors.Is(err, ErrConnectionGone) {
					s.log.WarnContext(ctx, "disconnect after fan-out failed", "operation", "fanOut", "correlationId", c.SessionID, "error", err.Error())
				}
			}
			return nil
		})
	}
	_ = g.Wait() // workers never return errors: each outcome is counted
	return FanoutResult{Delivered: int(delivered.Load()), Gone: gone, Failed: int(failed.Load())}
}

// Broadcast sends an opaque payload from the audio pipeline to every listener
// of (sessionID, lang) and drops the connections that are gone. Who the
// listeners are is read at most once per AudienceCacheFor (audiences).
func (s *Service) Broadcast(ctx context.Context, sessionID, lang string, payload Payload) (FanoutResult, error) {
	if !s.words.valid(sessionID) {
		return FanoutResult{}, &Error{Code: CodeInvalidSessionID, Field: "sessionId", Message: "Session id must look like faithful-shepherd-427"}
	}
	if err := s.checkTargetLanguage(lang); err != nil {
		return FanoutResult{}, err
	}
	key := audienceKey{sessionID, lang}
	listeners, err := s.audience(ctx, key)
	if err != nil {
		return FanoutResult{}, classify(sessionID, err)
	}
	res := s.fanOut(ctx, listeners, payload, false)
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
