package local

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/livecast/sessions/audiostream"
	"github.com/livecast/sessions/router"
	"github.com/livecast/sessions/session"
)

// loopback stands in for the translation pipeline on one machine: it reads
// the audio stream in order per session and fans each chunk out, untranslated,
// to every listener of the session as audioData, one broadcast event per
// target language, through the same entry point the pipeline invokes on AWS.
// Like a pipeline, it knows only the stream and the broadcast event: which
// languages to produce it learns from the stream's control records. It runs
// until Close; read failures (the emulator stopped) are retried.
func (l *System) loopback(poll, maxAge time.Duration, log *slog.Logger) {
	defer l.pending.Done()
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	if maxAge <= 0 {
		maxAge = router.DefaultAudioMaxAge
	}
	langs := &languageBook{bySession: map[string]languageSet{}}
	sessions := &sessionQueues{queues: map[string]*sessionQueue{}, idle: 30 * time.Second, handle: func(ctx context.Context, r audiostream.Record) {
		if r.Control != nil {
			langs.apply(*r.Control)
			return
		}
		l.fanOutChunk(ctx, r, langs.of(r.SessionID), maxAge, log)
	}}
	defer sessions.wait()
	from := time.Now()
	for l.ctx.Err() == nil {
		err := l.Graph.AudioStream.Follow(l.ctx, audiostream.FollowOptions{From: from, Poll: poll, Logger: log}, sessions.enqueue)
		if l.ctx.Err() != nil {
			return
		}
		log.Warn("audio loopback: cannot read the stream; retrying", "error", err.Error())
		select {
		case <-l.ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// fanOutChunk broadcasts one chunk to each language at once, and returns
// when every broadcast invocation has. A broadcast's other pages may still
// be posting then, so a listener may get chunk k+1 before chunk k: clients
// restore order by sequence (docs/PROTOCOL.md).
func (l *System) fanOutChunk(ctx context.Context, r audiostream.Record, langs []string, maxAge time.Duration, log *slog.Logger) {
	var wg sync.WaitGroup
	for _, lang := range langs {
		payload := router.AudioData{SessionID: r.SessionID, TargetLanguage: lang, Audio: r.Audio, Sequence: r.Sequence,
			SampleRate: r.SampleRate, Encoding: r.Encoding}.Encode(time.Now())
		// Live audio: a chunk a second late is dropped (and counted stale),
		// not delivered late. The second counts from when API Gateway took
		// the chunk, so a lag before the broadcast (the stream, this reader)
		// sheds too; a chunk already too old still goes to the service with
		// the least age, so its drop is counted where every drop is.
		age := maxAge
		if r.ReceivedAt > 0 {
			age -= time.Since(time.UnixMilli(r.ReceivedAt))
		}
		ev, err := router.NewBroadcastEventWithAge(r.SessionID, lang, payload, max(age, time.Millisecond))
		if err != nil {
			log.Error("audio loopback: encode broadcast", "error", err.Error())
			return
		}
		wg.Go(func() {
			// Outcomes are logged by the router, as for the pipeline's invocations.
			bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_, _ = l.Invoke(bctx, ev)
		})
	}
	wg.Wait()
}

// languageBook is what the control records said about each session's
// target languages (docs/PROTOCOL.md, "The audio stream (v1.2)").
type languageBook struct {
	mu        sync.Mutex
	bySession map[string]languageSet
}

type languageSet struct {
	langs   []string
	version int64
}

// apply takes one control record. A language set replaces the one known
// unless an older version (puts of different function instances may land
// out of order; the sweep's refresh repeats the version it read); an end
// forgets the session.
func (b *languageBook) apply(c audiostream.Control) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch c.Kind {
	case session.PipelineLanguages:
		if known, ok := b.bySession[c.SessionID]; !ok || c.StateVersion >= known.version {
			b.bySession[c.SessionID] = languageSet{langs: c.TargetLanguages, version: c.StateVersion}
		}
	case session.PipelineEnded:
		delete(b.bySession, c.SessionID)
	}
}

// of is the languages to produce for a session's next chunk: none until the
// stream has said (a session that began before the loopback started is
// heard from at the sweep's next refresh).
func (b *languageBook) of(sessionID string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bySession[sessionID].langs
}

// sessionQueues hands each session's records to a worker of its own, in
// order: sessions that share a shard do not wait for each other's fan-out,
// and one session's chunks are never reordered. A worker exits once its
// session has been quiet for idle.
type sessionQueues struct {
	handle func(context.Context, audiostream.Record)
	idle   time.Duration

	mu      sync.Mutex
	queues  map[string]*sessionQueue
	workers sync.WaitGroup
}

type sessionQueue struct {
	records chan audiostream.Record
	pending int // enqueued and not yet handled; guarded by sessionQueues.mu
}

func (q *sessionQueues) enqueue(ctx context.Context, r audiostream.Record) {
	q.mu.Lock()
	sq := q.queues[r.SessionID]
	if sq == nil {
		sq = &sessionQueue{records: make(chan audiostream.Record, 64)}
		q.queues[r.SessionID] = sq
		q.workers.Go(func() { q.work(ctx, r.SessionID, sq) })
	}
	sq.pending++
	q.mu.Unlock()
	select { // a full queue holds the shard's reader back: backpressure
	case sq.records <- r:
	case <-ctx.Done():
	}
}

func (q *sessionQueues) work(ctx context.Context, sessionID string, sq *sessionQueue) {
	idle := time.NewTimer(q.idle)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-sq.records:
			q.handle(ctx, r)
			q.mu.Lock()
			sq.pending--
			q.mu.Unlock()
			idle.Reset(q.idle)
		case <-idle.C:
			q.mu.Lock()
			if sq.pending == 0 {
				delete(q.queues, sessionID)
				q.mu.Unlock()
				return
			}
			q.mu.Unlock()
			idle.Reset(q.idle)
		}
	}
}

func (q *sessionQueues) wait() { q.workers.Wait() }
