package session

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// Why pages: one invocation with FanoutWorkers posts in flight makes at most
// FanoutWorkers / latency posts a second. From Lambda a post takes tens of
// milliseconds (model 20 ms), so 32 workers post 1,600 a second, and 500
// listeners at 10 messages a second need 5,000. A broadcast is therefore cut
// into pages of at most BroadcastPageSize listeners, and every page but the
// first is handed to another invocation through the PageScheduler
// (asynchronous self-invocation on AWS, a goroutine locally): Lambda is the
// engine that scales out; there is no queue or worker fleet of our own.

// Page is one share of a broadcast's (or an ending's) audience, posted by
// one invocation.
type Page struct {
	SessionID     string
	Language      string // the broadcast's language; "" for an ending's pages
	ConnectionIDs []string
	Message       Message
	Deadline      time.Time // no post starts at or after it; zero: none
	CloseAfter    bool      // disconnect each connection after its post (an ending)
}

// PageScheduler hands a page to another invocation. An error means no
// invocation took it (the page is then posted by the caller).
type PageScheduler interface {
	SchedulePage(ctx context.Context, p Page) error
}

// paged posts the first page of conns here and hands every other page to
// the page scheduler, at once and in parallel, so every page starts within
// one scheduling round trip. Without a scheduler (or with one page) it
// posts everything here, as a single invocation always did.
func (s *Service) paged(ctx context.Context, sessionID, lang string, conns []Connection, msg Message, o fanoutOptions) FanoutResult {
	pages := pagesOf(conns, s.cfg.BroadcastPageSize)
	if len(pages) <= 1 || s.pages == nil {
		return s.fanOutWith(ctx, conns, msg, o)
	}
	var (
		scheduled   atomic.Int64
		mu          sync.Mutex
		unscheduled [][]Connection
		handing     sync.WaitGroup
	)
	handing.Go(func() {
		g := errgroup.Group{}
		g.SetLimit(s.cfg.FanoutWorkers)
		for _, p := range pages[1:] {
			g.Go(func() error {
				err := s.pages.SchedulePage(ctx, Page{SessionID: sessionID, Language: lang, ConnectionIDs: idsOf(p), Message: msg, Deadline: o.deadline, CloseAfter: o.closeAfter})
				if err != nil {
					s.log.WarnContext(ctx, "page not scheduled; posting it here", "operation", "fanOut", "correlationId", sessionID, "listeners", len(p), "error", err.Error())
					mu.Lock()
					unscheduled = append(unscheduled, p)
					mu.Unlock()
					return nil
				}
				scheduled.Add(1)
				return nil
			})
		}
		_ = g.Wait() // outcomes are collected above
	})
	res := s.fanOutWith(ctx, pages[0], msg, o)
	handing.Wait()
	// A page no invocation took is posted here: late rather than never, and
	// the deadline still drops what would be too late.
	for _, p := range unscheduled {
		res.add(s.fanOutWith(ctx, p, msg, o))
	}
	res.PagesScheduled = int(scheduled.Load())
	return res
}

// PostPage posts a page another invocation handed over. Gone listeners of a
// broadcast are dropped as the broadcast would have (their seats held);
// an ending's page only closes (the ending marked its records already).
func (s *Service) PostPage(ctx context.Context, p Page) (FanoutResult, error) {
	if !s.words.valid(p.SessionID) {
		return FanoutResult{}, &Error{Code: CodeInvalidSessionID, Field: "sessionId", Message: "Session id must look like faithful-shepherd-427"}
	}
	conns := make([]Connection, len(p.ConnectionIDs))
	for i, id := range p.ConnectionIDs {
		conns[i] = Connection{ID: id, SessionID: p.SessionID, Role: RoleListener, TargetLanguage: p.Language}
	}
	res := s.fanOutWith(ctx, conns, p.Message, fanoutOptions{closeAfter: p.CloseAfter, deadline: p.Deadline})
	if !p.CloseAfter {
		s.audiences.dropGone(audienceKey{p.SessionID, p.Language}, res.Gone)
		s.dropGone(ctx, res.Gone)
	}
	return res, nil
}

// pagesOf cuts conns into pages of at most size (the last may be smaller).
func pagesOf(conns []Connection, size int) [][]Connection {
	var pages [][]Connection
	for len(conns) > 0 {
		n := min(size, len(conns))
		pages = append(pages, conns[:n:n])
		conns = conns[n:]
	}
	return pages
}
