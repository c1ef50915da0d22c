package session

import (
	"context"
	"encoding/base64"
	"fmt"
	"sync"
	"time"
)

// AudioSink takes accepted audio chunks to the translation pipeline (a
// Kinesis Data Stream on AWS). Put returns an error wrapping ErrUnavailable
// when the chunk could not be delivered: the speaker is told, the chunk is
// never dropped silently.
type AudioSink interface {
	Put(ctx context.Context, chunk AudioChunk) error
}

// AudioSequences numbers the chunks a speaker sends without a sequence of
// its own: one counter per session in storage, so every function instance
// and every speaker connection of the session (refreshes, returns) draws
// from the same count. Next returns the next number, from 1; a number is
// never handed out twice (a retried write may skip one).
type AudioSequences interface {
	NextAudioSequence(ctx context.Context, sessionID string) (int64, error)
}

// SessionReader reads one session; the audio ingress needs nothing else
// from storage.
type SessionReader interface {
	Get(ctx context.Context, id string) (Session, error)
}

// AudioChunk is one accepted piece of a speaker's microphone stream.
type AudioChunk struct {
	SessionID      string
	SourceLanguage string
	// Sequence orders a session's chunks: the speaker's own number when it
	// sent one, otherwise one this service assigned (SequenceAssigned).
	Sequence         int64
	SequenceAssigned bool
	ReceivedAt       time.Time
	SampleRate       int    // Hz, 0 when the speaker did not say
	Encoding         string // e.g. "pcm16", "" when the speaker did not say
	Audio            []byte
}

// AudioRequest is a sendAudio frame as the router decoded it.
type AudioRequest struct {
	ConnectionID string
	SessionID    string
	AudioData    string // base64, as sent
	Sequence     *int64
	SampleRate   *int
	Encoding     string
	ReceivedAt   time.Time // when the frame arrived; zero: now
}

// AudioOutcome says what happened to a chunk that was not refused.
type AudioOutcome int

// Outcomes of AudioIngress.Send without an error.
const (
	// AudioForwarded: the chunk is on its way to the pipeline.
	AudioForwarded AudioOutcome = iota + 1
	// AudioHeld: the broadcast is paused or muted, so the chunk goes nowhere.
	AudioHeld
	// AudioThrottled: over the chunk-rate limit again in a window whose
	// RATE_LIMIT_EXCEEDED was already sent; dropped without another error.
	AudioThrottled
)

func (o AudioOutcome) String() string {
	switch o {
	case AudioForwarded:
		return "forwarded"
	case AudioHeld:
		return "held"
	case AudioThrottled:
		return "throttled"
	default:
		return fmt.Sprintf("AudioOutcome(%d)", int(o))
	}
}

// AudioConfig bounds the audio ingress.
type AudioConfig struct {
	// ChunksPerSecond is each connection's limit; the first chunk over it in
	// a one-second window gets RATE_LIMIT_EXCEEDED, the rest are dropped.
	ChunksPerSecond int
	// SessionCacheFor is how long a connection trusts what it read about its
	// session (speaker, live, paused, muted) before reading it again.
	SessionCacheFor time.Duration
	// MaxChunkBytes bounds one chunk's decoded audio.
	MaxChunkBytes int
	// BytesPerSecond is each connection's limit on decoded audio in the same
	// one-second window: chunks alone do not bound it (50 chunks of 24 KiB
	// are 1.2 MB/s), and a session's audio lands on one Kinesis shard
	// (partition key = session), which takes ShardBytesPerSecond.
	BytesPerSecond int
}

// What one Kinesis shard takes (Kinesis Data Streams quotas): a session's
// records all go to one shard, so no connection may send more.
const (
	ShardBytesPerSecond   = 1_000_000 // "1 MB per second", read as the smaller MB
	ShardRecordsPerSecond = 1000
)

// MaxAudioChunkBytes is the audio a 32 KB frame can carry base64-encoded.
const MaxAudioChunkBytes = 24 << 10

// DefaultAudioConfig: 50 chunks a second is five times what the original
// speaker client sends; 256 KiB a second carries 48 kHz stereo 16-bit PCM
// (192 KB/s) with room to spare and leaves three quarters of the session's
// shard to the sessions that share it. An 8 s cache costs one DynamoDB read per 32 chunks at
// 4 chunks a second (the budget is one per 20), and bounds how late a pause
// made through another function instance stops the audio.
func DefaultAudioConfig() AudioConfig {
	return AudioConfig{ChunksPerSecond: 50, SessionCacheFor: 8 * time.Second, MaxChunkBytes: MaxAudioChunkBytes, BytesPerSecond: 256 << 10}
}

func (c AudioConfig) withDefaults() AudioConfig {
	d := DefaultAudioConfig()
	if c.ChunksPerSecond <= 0 {
		c.ChunksPerSecond = d.ChunksPerSecond
	}
	if c.SessionCacheFor <= 0 {
		c.SessionCacheFor = d.SessionCacheFor
	}
	if c.MaxChunkBytes <= 0 {
		c.MaxChunkBytes = d.MaxChunkBytes
	}
	if c.BytesPerSecond <= 0 {
		c.BytesPerSecond = d.BytesPerSecond
	}
	return c
}

// AudioDeps are the ingress's collaborators.
type AudioDeps struct {
	Sessions SessionReader
	// Sequences numbers unnumbered chunks; nil counts in this process per
	// connection, which is unique only while one process serves the
	// speaker (unit tests, never the service).
	Sequences AudioSequences
	Sink      AudioSink
	Now       func() time.Time // nil: time.Now
}

// AudioIngress checks each sendAudio chunk and hands it to the sink. It is
// safe for concurrent use.
//
// Speakers send 4–10 chunks a second for hours, so the per-chunk path reads
// nothing from storage: each connection keeps, in this process, what it last
// read about the session it sends to (for SessionCacheFor) and its
// chunk-rate window. The one exception is a chunk without the speaker's own
// sequence: its number comes from the session's counter in storage
// (AudioSequences, one write), since numbers counted in a process would
// collide across the instances that serve one speaker. A pause, mute or end made through this
// process reaches the cache at once (ForgetSession, ForgetConnection); one
// made through another Lambda instance within SessionCacheFor. The rate limit
// is per connection and process: Lambda may spread one connection's frames
// over instances, so the stream's own throughput limit is the hard bound.
type AudioIngress struct {
	cfg       AudioConfig
	sessions  SessionReader
	sequences AudioSequences
	sink      AudioSink
	now       func() time.Time
	words     idWords

	mu        sync.Mutex
	conns     map[string]*audioConnection
	lastPrune time.Time
}

// NewAudioIngress builds the ingress; cfg's zero fields take defaults.
func NewAudioIngress(cfg AudioConfig, d AudioDeps) *AudioIngress {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &AudioIngress{
		cfg: cfg.withDefaults(), sessions: d.Sessions, sequences: d.Sequences, sink: d.Sink, now: d.Now,
		words: newIDWords(), conns: map[string]*audioConnection{},
	}
}

// Send checks one chunk and forwards it. Refusals are *Error values:
// RATE_LIMIT_EXCEEDED (once per window), INVALID_PARAMETERS or
// INVALID_SESSION_ID for a malformed frame, FORBIDDEN when the connection is
// not the session's speaker, SESSION_NOT_FOUND for an unknown or ended
// session, SERVICE_UNAVAILABLE when the session or the sink cannot be
// reached. Success sends nothing back to the speaker.
func (a *AudioIngress) Send(ctx context.Context, req AudioRequest) (AudioOutcome, error) {
	now := a.now()
	if req.ReceivedAt.IsZero() {
		req.ReceivedAt = now
	}
	switch throttled, err := a.admit(req.ConnectionID, req.SessionID, base64.StdEncoding.DecodedLen(len(req.AudioData)), now); {
	case err != nil:
		return 0, err
	case throttled:
		return AudioThrottled, nil
	}
	chunk, err := parseAudio(req, a.cfg.MaxChunkBytes, a.words)
	if err != nil {
		return 0, err
	}
	sess, err := a.session(ctx, req.ConnectionID, req.SessionID, now)
	if err != nil {
		return 0, err
	}
	switch {
	case sess.SpeakerConnectionID != req.ConnectionID:
		return 0, &Error{Code: CodeForbidden, Message: "Only the session's speaker can send audio", SessionID: req.SessionID}
	case !sess.Live(now):
		return 0, notFound(req.SessionID, ErrNotFound)
	case sess.EffectiveBroadcast().Paused || sess.Broadcast.Muted:
		return AudioHeld, nil
	}
	chunk.SourceLanguage = sess.SourceLanguage
	if chunk.SequenceAssigned {
		if chunk.Sequence, err = a.nextSequence(ctx, req.ConnectionID, req.SessionID); err != nil {
			return 0, classify(req.SessionID, err)
		}
	}
	if err := a.sink.Put(ctx, chunk); err != nil {
		return 0, classify(req.SessionID, err)
	}
	return AudioForwarded, nil
}

// ForgetSession drops what connectionID cached about its session, so the
// next chunk reads it again: call it after that connection changed the
// broadcast (pause, mute) or the session.
func (a *AudioIngress) ForgetSession(connectionID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.conns[connectionID]; c != nil {
		c.hasRead = false
		c.generation++
	}
}

// ForgetConnection drops everything kept for a connection that closed.
func (a *AudioIngress) ForgetConnection(connectionID string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.conns, connectionID)
}
