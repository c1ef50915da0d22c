package main

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// audioFlags shape the audio scenario.
type audioFlags struct {
	sessions   int
	listeners  int
	rate       float64
	chunkBytes int
	duration   time.Duration
	poll       time.Duration
}

// audioListener receives audioData and measures how long each chunk took
// from the speaker's send: the speaker writes its send time into the first
// bytes of the audio, which travels untouched through the stream and back.
type audioListener struct {
	conn *websocket.Conn

	mu        sync.Mutex
	latencies []time.Duration
	received  int
	lastSeq   float64
	disorder  int // chunks that arrived after a later one
	repeated  int // chunks that arrived twice (a put retried after its first attempt landed)
	other     map[string]int
	done      chan struct{}
}

func dialAudioListener(ctx context.Context, s *system, sessionID, lang string) (*audioListener, error) {
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(dctx, s.url()+"?"+query("action", "joinSession", "sessionId", sessionID, "targetLanguage", lang).Encode(), &websocket.DialOptions{HTTPClient: dialClient})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	l := &audioListener{conn: conn, other: map[string]int{}, done: make(chan struct{})}
	go l.read()
	return l, nil
}

func (l *audioListener) read() {
	defer close(l.done)
	for {
		_, data, err := l.conn.Read(context.Background())
		if err != nil {
			return
		}
		now := time.Now()
		var m struct {
			Type      string  `json:"type"`
			AudioData string  `json:"audioData"`
			Sequence  float64 `json:"sequence"`
		}
		_ = json.Unmarshal(data, &m)
		l.mu.Lock()
		if m.Type != "audioData" {
			l.other[m.Type]++
			l.mu.Unlock()
			continue
		}
		switch {
		case m.Sequence == l.lastSeq:
			l.repeated++
			l.mu.Unlock()
			continue
		case m.Sequence < l.lastSeq:
			l.disorder++
		}
		l.received++
		l.lastSeq = m.Sequence
		if audio, err := base64.StdEncoding.DecodeString(m.AudioData); err == nil && len(audio) >= 8 {
			sent := time.Unix(0, int64(binary.BigEndian.Uint64(audio)))
			l.latencies = append(l.latencies, now.Sub(sent))
		}
		l.mu.Unlock()
	}
}

// scenarioAudio: speakers stream their microphone (the original client's
// sendAudio frames, no sequence) at a steady rate to listeners, through
// Kinesis and the loopback pipeline. It measures the ingest handler, the
// DynamoDB and Kinesis requests each chunk costs, and the time from a
// speaker's send to a listener's receipt.
func (b *bench) scenarioAudio(ctx context.Context) error {
	const sc = "audio"
	f := b.flags.audio
	s, err := b.startSystemWith(ctx, sc, nil, systemOptions{loopbackPoll: f.poll})
	if err != nil {
		return err
	}
	defer s.close()

	b.rec.setPhase("audio_setup")
	speakers := make([]*client, f.sessions)
	if err := firstErrors(parallel(f.sessions, b.flags.dialConcurrency, func(i int) (err error) {
		speakers[i], err = s.speaker(ctx)
		return err
	})); err != nil {
		return fmt.Errorf("creations: %w", err)
	}
	listeners := make([]*audioListener, f.sessions*f.listeners)
	if err := firstErrors(parallel(len(listeners), b.flags.dialConcurrency, func(i int) (err error) {
		listeners[i], err = dialAudioListener(ctx, s, speakers[i%f.sessions].sessionID, languages[i%2])
		return err
	})); err != nil {
		return fmt.Errorf("joins: %w", err)
	}
	defer func() {
		for _, l := range listeners {
			_ = l.conn.CloseNow()
		}
	}()
	s.quiesce(300 * time.Millisecond)

	b.rec.setPhase("audio")
	trips, puts, retries, reads := s.trips.Count(), s.kinesis.Count("PutRecord"), s.kinesis.Retries(), s.kinesis.Count("GetRecords")
	interval := time.Duration(float64(time.Second) / f.rate)
	sent := make([]int, f.sessions)
	sendCtx, stop := context.WithTimeout(ctx, f.duration)
	start := time.Now()
	parallel(f.sessions, f.sessions, func(i int) error {
		// Speakers start spread over one interval, as independent people would.
		next := time.Now().Add(time.Duration(i) * interval / time.Duration(f.sessions))
		audio := make([]byte, f.chunkBytes)
		for {
			select {
			case <-sendCtx.Done():
				return nil
			case <-time.After(time.Until(next)):
			}
			binary.BigEndian.PutUint64(audio, uint64(time.Now().UnixNano()))
			frame := map[string]string{"action": "sendAudio", "sessionId": speakers[i].sessionID, "audioData": base64.StdEncoding.EncodeToString(audio)}
			if err := speakers[i].send(ctx, frame); err != nil {
				return err
			}
			sent[i]++
			next = next.Add(interval)
		}
	})
	stop()
	streamed := time.Since(start)
	chunks := 0
	for _, n := range sent {
		chunks += n
	}
	ingest := b.rec.await("audio", "sendAudio", chunks, 30*time.Second)
	accepted := make([]int, f.sessions) // a refused chunk never reaches the stream
	for i, c := range speakers {
		c.mu.Lock()
		accepted[i] = sent[i] - len(c.errCodes)
		c.mu.Unlock()
	}
	// A backlog (the emulators are slower than Kinesis) drains after the
	// speakers stop: wait while deliveries progress, and report the delay
	// as latency rather than calling a late chunk lost.
	delivered := untilStalled(30*time.Second, func() (progress int, err error) {
		for i, l := range listeners {
			l.mu.Lock()
			got := l.received
			l.mu.Unlock()
			progress += got
			if want := accepted[i%f.sessions]; got < want && err == nil {
				err = fmt.Errorf("listener %d: %d of %d chunks", i, got, want)
			}
		}
		return progress, err
	})
	trips, puts, retries, reads = s.trips.Count()-trips, s.kinesis.Count("PutRecord")-puts, s.kinesis.Retries()-retries, s.kinesis.Count("GetRecords")-reads
	b.rec.setPhase("")

	st := summarize(ingest)
	var handlerCalls int64
	for _, smp := range ingest {
		handlerCalls += smp.calls
	}
	dbPerChunk := float64(handlerCalls) / float64(max(chunks, 1))
	putsPerChunk := float64(puts-retries) / float64(max(chunks, 1))
	b.addOpNoted("sendAudio", st, dbPerChunk, "DynamoDB requests inside the ingest handlers / chunks")
	b.note("audio: %d speakers × %.0f chunks/s × %v = %d chunks of %d bytes; %d listeners each", f.sessions, f.rate, streamed.Round(time.Second), chunks, f.chunkBytes, f.listeners)
	b.note("audio: per chunk %.3f DynamoDB requests and %.2f Kinesis PutRecord (budgets %.2f and 1); besides, %d PutRecord retries (throttling or a slow emulator)", dbPerChunk, putsPerChunk, dbPerChunkBudget, retries)
	b.note("audio: the loopback pipeline made %d GetRecords (%.1f/s over 4 shards) and, with the ingest, %d DynamoDB requests in all (%.2f per chunk: the stand-in pipeline learns each session's languages from the stream's control records, and each broadcast reads its listeners at most once per BROADCAST_AUDIENCE_CACHE_SECONDS)",
		reads, float64(reads)/streamed.Seconds(), trips, float64(trips)/float64(max(chunks, 1)))

	var lat []time.Duration
	var disorder, repeated, refused int
	for _, l := range listeners {
		l.mu.Lock()
		lat = append(lat, l.latencies...)
		disorder += l.disorder
		repeated += l.repeated
		l.mu.Unlock()
	}
	if repeated > 0 {
		b.note("audio: %d chunk deliveries were repeats (at-least-once: a put retried after a timed-out attempt that had landed)", repeated)
	}
	for _, c := range speakers {
		c.mu.Lock()
		refused += len(c.errCodes)
		c.mu.Unlock()
	}
	slices.Sort(lat)
	e2e := stats{N: len(lat)}
	if len(lat) > 0 {
		e2e.P50, e2e.P95, e2e.P99, e2e.Max = percentile(lat, 50), percentile(lat, 95), percentile(lat, 99), lat[len(lat)-1]
	}
	b.addOp("audio_e2e", e2e, 0, fmt.Sprintf("speaker send → listener receipt through Kinesis and the loopback (poll %v)", f.poll))

	b.expect(sc, "every listener heard every accepted chunk of its session", delivered)
	var orderErr, refusedErr, dbErr, putErr error
	if disorder > 0 {
		orderErr = fmt.Errorf("%d chunks arrived after a later one", disorder)
	}
	if refused > 0 {
		refusedErr = fmt.Errorf("%d error replies to speakers", refused)
	}
	if dbPerChunk > dbPerChunkBudget {
		dbErr = fmt.Errorf("%.3f DynamoDB requests per chunk", dbPerChunk)
	}
	if putsPerChunk > 1 {
		putErr = fmt.Errorf("%.2f Kinesis requests per chunk", putsPerChunk)
	}
	b.expect(sc, "each listener heard its session's chunks in order", orderErr)
	b.expect(sc, "no chunk was refused", refusedErr)
	b.expect(sc, "at most 0.05 DynamoDB requests per chunk", dbErr)
	b.expect(sc, "at most 1 Kinesis request per chunk", putErr)
	return nil
}

// untilStalled polls check until it succeeds or its progress count has not
// moved for stall, and returns its last error.
func untilStalled(stall time.Duration, check func() (progress int, err error)) error {
	last, since := -1, time.Now()
	for {
		progress, err := check()
		switch {
		case err == nil:
			return nil
		case progress != last:
			last, since = progress, time.Now()
		case time.Since(since) > stall:
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dbPerChunkBudget: the session read, cached per connection (one per 20
// chunks at most), plus, since the original client sends no sequence, one
// write to the session's sequence counter per chunk: numbers counted in a
// process collided across the function instances serving one speaker
// (issue 22; docs/PROTOCOL.md, "The audio stream"). Speakers that number
// their chunks (the client library, the console) cost only the read.
const dbPerChunkBudget = 1.05
