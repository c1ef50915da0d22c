package session

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSessions serves sessions from a map and counts reads; block, when
// set, holds each read until it is closed.
type fakeSessions struct {
	mu       sync.Mutex
	sessions map[string]Session
	err      error
	reads    int
	block    chan struct{}
}

func (f *fakeSessions) Get(_ context.Context, id string) (Session, error) {
	f.mu.Lock()
	f.reads++
	block, err := f.block, f.err
	s, ok := f.sessions[id]
	f.mu.Unlock()
	if block != nil {
		<-block
	}
	if err != nil {
		return Session{}, err
	}
	if !ok {
		return Session{}, ErrNotFound
	}
	return s, nil
}

func (f *fakeSessions) set(s Session) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions[s.ID] = s
}

func (f *fakeSessions) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

// fakeSink records chunks, or fails with err.
type fakeSink struct {
	mu     sync.Mutex
	chunks []AudioChunk
	err    error
	calls  int
}

func (f *fakeSink) Put(_ context.Context, c AudioChunk) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return f.err
	}
	f.chunks = append(f.chunks, c)
	return nil
}

// all returns the chunks put so far, in put order.
func (f *fakeSink) all() []AudioChunk {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]AudioChunk(nil), f.chunks...)
}

// fakeClock is a time tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

const (
	testSession  = "holy-lamb-101"
	otherSession = "brave-shepherd-202"
	speakerConn  = "speaker-conn"
)

// fakeSequences is one counter per session, as the store keeps it.
type fakeSequences struct {
	mu   sync.Mutex
	next map[string]int64
	err  error
}

func (f *fakeSequences) NextAudioSequence(_ context.Context, sessionID string) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return 0, f.err
	}
	f.next[sessionID]++
	return f.next[sessionID], nil
}

type audioFixture struct {
	ingress   *AudioIngress
	sequences *fakeSequences
	sessions  *fakeSessions
	sink      *fakeSink
	clock     *fakeClock
}

func newAudioFixture(t *testing.T, cfg AudioConfig) *audioFixture {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	now := clock.Now()
	f := &audioFixture{clock: clock, sink: &fakeSink{}, sessions: &fakeSessions{sessions: map[string]Session{}}}
	for _, s := range []Session{
		{ID: testSession, SpeakerConnectionID: speakerConn, SourceLanguage: "en", Active: true, ExpiresAt: now.Add(time.Hour)},
		{ID: otherSession, SpeakerConnectionID: "other-speaker", SourceLanguage: "fr", Active: true, ExpiresAt: now.Add(time.Hour)},
	} {
		f.sessions.set(s)
	}
	f.sequences = &fakeSequences{next: map[string]int64{}}
	f.ingress = NewAudioIngress(cfg, AudioDeps{Sessions: f.sessions, Sequences: f.sequences, Sink: f.sink, Now: clock.Now})
	return f
}

func chunkRequest(audio string) AudioRequest {
	return AudioRequest{ConnectionID: speakerConn, SessionID: testSession, AudioData: base64.StdEncoding.EncodeToString([]byte(audio))}
}

func int64p(v int64) *int64 { return &v }
func intp(v int) *int       { return &v }

func TestTheSpeakersChunksReachTheSinkInOrder(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{})
	for _, a := range []string{"one", "two", "three"} {
		out, err := f.ingress.Send(context.Background(), chunkRequest(a))
		require.NoError(t, err)
		assert.Equal(t, AudioForwarded, out)
		f.clock.Advance(250 * time.Millisecond)
	}
	require.Len(t, f.sink.chunks, 3)
	for i, want := range []string{"one", "two", "three"} {
		c := f.sink.chunks[i]
		assert.Equal(t, want, string(c.Audio))
		assert.Equal(t, testSession, c.SessionID)
		assert.Equal(t, "en", c.SourceLanguage, "the source language comes from the session")
		assert.Equal(t, int64(i+1), c.Sequence, "without a sequence from the speaker the service numbers the chunks")
		assert.True(t, c.SequenceAssigned)
	}
	assert.Equal(t, f.sink.chunks[0].ReceivedAt.Add(500*time.Millisecond), f.sink.chunks[2].ReceivedAt)
}

func TestTheSpeakersOwnSequenceAndFormatAreKept(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{})
	req := chunkRequest("pcm")
	req.Sequence, req.SampleRate, req.Encoding = int64p(41), intp(16000), "pcm16"
	req.ReceivedAt = time.UnixMilli(1_700_000_000_123)
	_, err := f.ingress.Send(context.Background(), req)
	require.NoError(t, err)
	require.Len(t, f.sink.chunks, 1)
	c := f.sink.chunks[0]
	assert.Equal(t, int64(41), c.Sequence)
	assert.False(t, c.SequenceAssigned)
	assert.Equal(t, 16000, c.SampleRate)
	assert.Equal(t, "pcm16", c.Encoding)
	assert.Equal(t, time.UnixMilli(1_700_000_000_123), c.ReceivedAt, "the gateway's receive time is kept")
}

func TestRefusedChunksGoNowhere(t *testing.T) {
	valid := base64.StdEncoding.EncodeToString([]byte("audio"))
	big := base64.StdEncoding.EncodeToString(make([]byte, MaxAudioChunkBytes+1))
	cases := []struct {
		name  string
		req   AudioRequest
		code  Code
		field string
	}{
		{"a listener sending audio is forbidden", AudioRequest{ConnectionID: "listener-conn", SessionID: testSession, AudioData: valid}, CodeForbidden, ""},
		{"a speaker sending to another session is forbidden", AudioRequest{ConnectionID: speakerConn, SessionID: otherSession, AudioData: valid}, CodeForbidden, ""},
		{"an unknown session is not found", AudioRequest{ConnectionID: speakerConn, SessionID: "calm-river-303", AudioData: valid}, CodeSessionNotFound, ""},
		{"a missing session id is named", AudioRequest{ConnectionID: speakerConn, AudioData: valid}, CodeInvalidParameters, "sessionId"},
		{"a malformed session id is refused", AudioRequest{ConnectionID: speakerConn, SessionID: "DROP TABLE", AudioData: valid}, CodeInvalidSessionID, "sessionId"},
		{"missing audio is named", AudioRequest{ConnectionID: speakerConn, SessionID: testSession}, CodeInvalidParameters, "audioData"},
		{"audio that is not base64 is refused", AudioRequest{ConnectionID: speakerConn, SessionID: testSession, AudioData: "not base64!"}, CodeInvalidParameters, "audioData"},
		{"url-safe base64 is refused", AudioRequest{ConnectionID: speakerConn, SessionID: testSession, AudioData: "-_-_"}, CodeInvalidParameters, "audioData"},
		{"unpadded base64 is refused", AudioRequest{ConnectionID: speakerConn, SessionID: testSession, AudioData: "YQ"}, CodeInvalidParameters, "audioData"},
		{"audio beyond one frame is refused", AudioRequest{ConnectionID: speakerConn, SessionID: testSession, AudioData: big}, CodeInvalidParameters, "audioData"},
		{"a negative sequence is refused", AudioRequest{ConnectionID: speakerConn, SessionID: testSession, AudioData: valid, Sequence: int64p(-1)}, CodeInvalidParameters, "sequence"},
		{"an impossible sample rate is refused", AudioRequest{ConnectionID: speakerConn, SessionID: testSession, AudioData: valid, SampleRate: intp(12)}, CodeInvalidParameters, "sampleRate"},
		{"an encoding that is not a short name is refused", AudioRequest{ConnectionID: speakerConn, SessionID: testSession, AudioData: valid, Encoding: "<script>"}, CodeInvalidParameters, "encoding"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newAudioFixture(t, AudioConfig{})
			_, err := f.ingress.Send(context.Background(), tc.req)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, tc.field, e.Field)
			assert.Empty(t, f.sink.chunks)
		})
	}
}

func TestAnEndedOrExpiredSessionTakesNoAudio(t *testing.T) {
	for name, change := range map[string]func(*Session, time.Time){
		"ended":   func(s *Session, _ time.Time) { s.Active = false },
		"expired": func(s *Session, now time.Time) { s.ExpiresAt = now.Add(-time.Second) },
	} {
		t.Run("a session that "+name, func(t *testing.T) {
			f := newAudioFixture(t, AudioConfig{})
			s := f.sessions.sessions[testSession]
			change(&s, f.clock.Now())
			f.sessions.set(s)
			_, err := f.ingress.Send(context.Background(), chunkRequest("x"))
			assert.Equal(t, CodeSessionNotFound, ErrorCode(err))
			assert.Empty(t, f.sink.chunks)
		})
	}
}

func TestAPausedOrMutedBroadcastForwardsNothingWithoutAnError(t *testing.T) {
	for name, state := range map[string]BroadcastState{"paused": {Paused: true}, "muted": {Muted: true}} {
		t.Run(name, func(t *testing.T) {
			f := newAudioFixture(t, AudioConfig{})
			s := f.sessions.sessions[testSession]
			s.Broadcast = state
			f.sessions.set(s)
			out, err := f.ingress.Send(context.Background(), chunkRequest("x"))
			require.NoError(t, err)
			assert.Equal(t, AudioHeld, out)
			assert.Empty(t, f.sink.chunks)
		})
	}
}

func TestTheChunkRateLimitAnswersOncePerWindow(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{ChunksPerSecond: 3})
	var outcomes []string
	var limited []*Error
	send := func() {
		out, err := f.ingress.Send(context.Background(), chunkRequest("x"))
		var e *Error
		if errors.As(err, &e) {
			limited = append(limited, e)
			outcomes = append(outcomes, string(e.Code))
			return
		}
		require.NoError(t, err)
		outcomes = append(outcomes, out.String())
	}
	for range 6 {
		send()
		f.clock.Advance(100 * time.Millisecond)
	}
	f.clock.Advance(500 * time.Millisecond) // the next window
	send()
	assert.Equal(t, []string{"forwarded", "forwarded", "forwarded", "RATE_LIMIT_EXCEEDED", "throttled", "throttled", "forwarded"}, outcomes)
	require.Len(t, limited, 1)
	assert.Equal(t, 1, limited[0].RetryAfter)
	assert.Len(t, f.sink.chunks, 4)
}

func TestTheRateLimitIsPerConnection(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{ChunksPerSecond: 1})
	_, err := f.ingress.Send(context.Background(), chunkRequest("a"))
	require.NoError(t, err)
	other := AudioRequest{ConnectionID: "other-speaker", SessionID: otherSession, AudioData: "YQ=="}
	out, err := f.ingress.Send(context.Background(), other)
	require.NoError(t, err, "another connection has its own window")
	assert.Equal(t, AudioForwarded, out)
}

func TestChunksWithinTheCacheTimeReadTheSessionOnce(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{SessionCacheFor: 8 * time.Second})
	chunks := 0
	for range 4 * 20 { // 20 s at 4 chunks a second
		_, err := f.ingress.Send(context.Background(), chunkRequest("x"))
		require.NoError(t, err)
		chunks++
		f.clock.Advance(250 * time.Millisecond)
	}
	assert.Equal(t, 3, f.sessions.readCount(), "one read per 8 s")
	assert.LessOrEqual(t, float64(f.sessions.readCount())/float64(chunks), 0.05)
}

func TestRefusalsAreCachedToo(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{})
	req := chunkRequest("x")
	req.ConnectionID = "listener-conn"
	for range 10 {
		_, err := f.ingress.Send(context.Background(), req)
		require.Equal(t, CodeForbidden, ErrorCode(err))
	}
	req.SessionID = "calm-river-303"
	for range 10 {
		_, err := f.ingress.Send(context.Background(), req)
		require.Equal(t, CodeSessionNotFound, ErrorCode(err))
	}
	assert.Equal(t, 2, f.sessions.readCount())
}

func TestAPauseThroughThisInstanceStopsTheAudioAtOnce(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{SessionCacheFor: time.Minute})
	_, err := f.ingress.Send(context.Background(), chunkRequest("before"))
	require.NoError(t, err)

	s := f.sessions.sessions[testSession]
	s.Broadcast.Paused = true
	f.sessions.set(s)
	f.ingress.ForgetSession(speakerConn)

	out, err := f.ingress.Send(context.Background(), chunkRequest("after"))
	require.NoError(t, err)
	assert.Equal(t, AudioHeld, out)
	assert.Len(t, f.sink.chunks, 1)
}

func TestAPauseThroughAnotherInstanceStopsTheAudioWithinTheCacheTime(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{SessionCacheFor: 8 * time.Second})
	_, err := f.ingress.Send(context.Background(), chunkRequest("before"))
	require.NoError(t, err)
	s := f.sessions.sessions[testSession]
	s.Broadcast.Paused = true
	f.sessions.set(s) // nobody tells this instance

	f.clock.Advance(8 * time.Second)
	out, err := f.ingress.Send(context.Background(), chunkRequest("after"))
	require.NoError(t, err)
	assert.Equal(t, AudioHeld, out)
}

func TestAReadInFlightDuringAPauseDoesNotRestoreTheOldState(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{SessionCacheFor: time.Minute})
	f.sessions.block = make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = f.ingress.Send(context.Background(), chunkRequest("racing"))
	}()
	require.Eventually(t, func() bool { return f.sessions.readCount() == 1 }, time.Second, time.Millisecond)
	f.ingress.ForgetSession(speakerConn) // the pause commits while the read is in flight
	close(f.sessions.block)
	<-done

	f.sessions.mu.Lock()
	f.sessions.block = nil
	f.sessions.mu.Unlock()
	_, err := f.ingress.Send(context.Background(), chunkRequest("next"))
	require.NoError(t, err)
	assert.Equal(t, 2, f.sessions.readCount(), "the stale read was not cached")
}

func TestAnUnavailableSinkIsReportedAndRecovers(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{})
	f.sink.err = errors.Join(ErrUnavailable, errors.New("stream down"))
	_, err := f.ingress.Send(context.Background(), chunkRequest("lost"))
	assert.Equal(t, CodeServiceUnavailable, ErrorCode(err), "never a silent drop")

	f.sink.err = nil
	out, err := f.ingress.Send(context.Background(), chunkRequest("back"))
	require.NoError(t, err)
	assert.Equal(t, AudioForwarded, out)
	assert.Equal(t, 2, f.sink.calls)
}

func TestAnUnavailableStoreIsReportedAndNotCached(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{})
	f.sessions.err = errors.Join(ErrUnavailable, errors.New("table down"))
	_, err := f.ingress.Send(context.Background(), chunkRequest("x"))
	assert.Equal(t, CodeServiceUnavailable, ErrorCode(err))

	f.sessions.err = nil
	_, err = f.ingress.Send(context.Background(), chunkRequest("x"))
	require.NoError(t, err)
	assert.Equal(t, 2, f.sessions.readCount())
}

func TestAClosedConnectionIsForgotten(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{})
	_, err := f.ingress.Send(context.Background(), chunkRequest("x"))
	require.NoError(t, err)
	f.ingress.ForgetConnection(speakerConn)
	_, err = f.ingress.Send(context.Background(), chunkRequest("y"))
	require.NoError(t, err)
	assert.Equal(t, 2, f.sessions.readCount())
	assert.Equal(t, int64(2), f.sink.chunks[1].Sequence, "the session's count goes on: numbers belong to the session, not to a connection's state")
}

// Lambda spreads one speaker's frames over function instances, and a
// speaker refreshes onto new connections: every one of them draws from the
// session's one counter, so no number is handed out twice.
func TestSequencesAreUniqueAcrossInstancesAndConnections(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{})
	other := NewAudioIngress(AudioConfig{}, AudioDeps{Sessions: f.sessions, Sequences: f.sequences, Sink: f.sink, Now: f.clock.Now})
	var wg sync.WaitGroup
	for i := range 40 {
		instance := f.ingress
		if i%2 == 1 {
			instance = other
		}
		wg.Go(func() {
			_, err := instance.Send(context.Background(), chunkRequest("x"))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	f.sessions.set(Session{ID: testSession, SpeakerConnectionID: "refreshed", SourceLanguage: "en", Active: true, ExpiresAt: f.clock.Now().Add(time.Hour)})
	req := chunkRequest("after the refresh")
	req.ConnectionID = "refreshed"
	_, err := other.Send(context.Background(), req)
	require.NoError(t, err)

	seen := map[int64]bool{}
	for _, c := range f.sink.all() {
		assert.False(t, seen[c.Sequence], "sequence %d handed out twice", c.Sequence)
		seen[c.Sequence] = true
	}
	assert.Len(t, seen, 41)
	assert.Equal(t, int64(41), f.sink.all()[40].Sequence, "the refreshed connection goes on from the session's count")
}

func TestACounterThatCannotBeReachedIsUnavailable(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{})
	f.sequences.err = errors.Join(ErrUnavailable, errors.New("table down"))
	_, err := f.ingress.Send(context.Background(), chunkRequest("x"))
	assert.Equal(t, CodeServiceUnavailable, ErrorCode(err), "never a chunk with a number that might collide")
	assert.Empty(t, f.sink.all())
	req := chunkRequest("numbered")
	req.Sequence = int64p(7)
	_, err = f.ingress.Send(context.Background(), req)
	assert.NoError(t, err, "the speaker's own numbers need no counter")
}

func TestIdleConnectionsArePruned(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{})
	for i := range 100 {
		req := chunkRequest("x")
		req.ConnectionID = "gone-" + strings.Repeat("x", i)
		_, _ = f.ingress.Send(context.Background(), req)
	}
	f.clock.Advance(2 * time.Minute)
	_, err := f.ingress.Send(context.Background(), chunkRequest("x"))
	require.NoError(t, err)
	f.ingress.mu.Lock()
	defer f.ingress.mu.Unlock()
	assert.Len(t, f.ingress.conns, 1, "connections whose $disconnect went elsewhere do not pile up")
}

func TestTheByteRateLimitBoundsWhatOneShardTakes(t *testing.T) {
	f := newAudioFixture(t, AudioConfig{ChunksPerSecond: 100, BytesPerSecond: 10_000})
	big := strings.Repeat("x", 4000)
	var outcomes []string
	for range 4 {
		out, err := f.ingress.Send(context.Background(), chunkRequest(big))
		if err != nil {
			outcomes = append(outcomes, string(ErrorCode(err)))
			continue
		}
		outcomes = append(outcomes, out.String())
		f.clock.Advance(100 * time.Millisecond)
	}
	f.clock.Advance(time.Second) // the next window
	out, err := f.ingress.Send(context.Background(), chunkRequest(big))
	require.NoError(t, err)
	outcomes = append(outcomes, out.String())
	assert.Equal(t, []string{"forwarded", "forwarded", "RATE_LIMIT_EXCEEDED", "throttled", "forwarded"}, outcomes,
		"8,000 of 10,000 bytes pass; a third 4,000 would not")
	assert.Len(t, f.sink.chunks, 3)
}
