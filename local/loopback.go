package local

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/livecast/sessions/audiostream"
	"github.com/livecast/sessions/router"
)

// loopback stands in for the translation pipeline on one machine: it reads
// the audio stream in order per session and fans each chunk out, untranslated,
// to every listener of the session as audioData, one broadcast event per
// target language, through the same entry point the pipeline invokes on AWS.
// It runs until Close; read failures (the emulator stopped) are retried.
func (l *System) loopback(poll, maxAge time.Duration, log *slog.Logger) {
	defer l.pending.Done()
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	if maxAge <= 0 {
		maxAge = router.DefaultAudioMaxAge
	}
	langs := &languageCache{local: l, ttl: time.Second, bySession: map[string]cachedLanguages{}}
	sessions := &sessionQueues{queues: map[string]*sessionQueue{}, idle: 30 * time.Second, handle: func(ctx context.Context, r audiostream.Record) {
		l.fanOutChunk(ctx, r, langs.of(ctx, r.SessionID), maxAge, log)
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

// languageCache remembers briefly which target languages a session's
// listeners use, so the loopback does not read the session for every chunk.
type languageCache struct {
	local     *System
	ttl       time.Duration
	mu        sync.Mutex
	bySession map[string]cachedLanguages
}

type cachedLanguages struct {
	langs []string
	at    time.Time
}

func (c *languageCache) of(ctx context.Context, sessionID string) []string {
	c.mu.Lock()
	cached, ok := c.bySession[sessionID]
	c.mu.Unlock()
	if ok && time.Since(cached.at) < c.ttl {
		return cached.langs
	}
	sess, err := c.local.Graph.Store.Sessions.Get(ctx, sessionID)
	if err != nil {
		return nil // an ended session has no listeners to reach
	}
	var langs []string
	for lang, n := range sess.ByLanguage {
		if n > 0 {
			langs = append(langs, lang)
		}
	}
	c.mu.Lock()
	c.bySession[sessionID] = cachedLanguages{langs: langs, at: time.Now()}
	c.mu.Unlock()
	return langs
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
