package session

import (
	"context"
	"sync"
)

// refreshWorkers bounds the puts one sweep makes at once: each is one
// PutRecord (~20 ms), so a thousand live sessions take about 2.5 s rather
// than 20.
const refreshWorkers = 8

// refreshLanguages puts the language set of every running session again,
// once a sweep (every minute on AWS): the level beside the edges that the
// write paths publish (languageEdge). It repairs what an edge could not
// tell: a put that failed, an invocation that died between its write and
// its put, a pipeline that started reading mid-session. Each carries the
// version the sweep read, so a pipeline that already has a newer set keeps
// it (docs/PROTOCOL.md, "The audio stream"). Cost: one PutRecord per live
// session per sweep, whatever its audience.
func (sw sweep) refreshLanguages(ctx context.Context, sessions []Session) {
	work := make(chan Session)
	var wg sync.WaitGroup
	for range min(refreshWorkers, len(sessions)) {
		wg.Go(func() {
			for sess := range work {
				sw.publishLanguages(ctx, sess)
			}
		})
	}
	for _, sess := range sessions {
		work <- sess
	}
	close(work)
	wg.Wait()
}
