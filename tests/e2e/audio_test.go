package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/audiostream"
)

// audioFrame is the original speaker client's frame, exactly.
func audioFrame(sessionID string, audio []byte) map[string]string {
	return map[string]string{"action": "sendAudio", "sessionId": sessionID, "audioData": base64.StdEncoding.EncodeToString(audio)}
}

// chunkAudio is the distinguishable audio of chunk i.
func chunkAudio(i int) []byte { return fmt.Appendf(nil, "pcm-chunk-%03d", i) }

// streamRecord is one record read back from the stream.
type streamRecord struct {
	audiostream.Record
	partitionKey string
}

// streamRecords reads every audio record of the system's audio stream for
// sessionID, shard by shard from the oldest (GetRecords), with a client of
// its own so the service's request counts stay untouched.
func (s *system) streamRecords(t *testing.T, sessionID string) []streamRecord {
	t.Helper()
	return s.readStream(t, sessionID, false)
}

// controlRecords reads the control records of sessionID, as streamRecords.
func (s *system) controlRecords(t *testing.T, sessionID string) []streamRecord {
	t.Helper()
	return s.readStream(t, sessionID, true)
}

func (s *system) readStream(t *testing.T, sessionID string, control bool) []streamRecord {
	t.Helper()
	ctx := context.Background()
	api := kinesis.NewFromConfig(s.awsCfg)
	name := aws.String(s.cfg.AudioStreamName)
	shards, err := api.ListShards(ctx, &kinesis.ListShardsInput{StreamName: name})
	require.NoError(t, err)
	var out []streamRecord
	for _, sh := range shards.Shards {
		it, err := api.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: name, ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		require.NoError(t, err)
		iterator := it.ShardIterator
		for iterator != nil {
			page, err := api.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iterator})
			require.NoError(t, err)
			for _, rec := range page.Records {
				r, err := audiostream.DecodeRecord(rec.Data)
				require.NoError(t, err)
				if r.SessionID == sessionID && (r.Control == nil) != control {
					out = append(out, streamRecord{Record: r, partitionKey: aws.ToString(rec.PartitionKey)})
				}
			}
			if len(page.Records) == 0 {
				break
			}
			iterator = page.NextShardIterator
		}
	}
	return out
}

// awaitRecords waits until the stream holds n records of sessionID.
func (s *system) awaitRecords(t *testing.T, sessionID string, n int) []streamRecord {
	t.Helper()
	var recs []streamRecord
	eventually(t, func() bool { recs = s.streamRecords(t, sessionID); return len(recs) >= n }, fmt.Sprintf("%d records of %s on the stream", n, sessionID))
	return recs
}

// noErrors drains what c received and fails on any error message.
func (c *client) noErrors(wait time.Duration) {
	c.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				return
			}
			require.NotEqual(c.t, "error", m["type"], "unexpected error %v", m)
		case <-deadline:
			return
		}
	}
}

func TestTheOriginalSpeakerFramesReachTheStreamInOrder(t *testing.T) {
	sys := startSystem(t, nil)
	spk, id := sys.speaker(t, "alice")
	const chunks = 12
	tripsBefore, putsBefore := sys.roundTrips.Count(), sys.kinesis.Count("PutRecord")
	sent := time.Now()
	for i := range chunks {
		spk.send(audioFrame(id, chunkAudio(i)))
	}
	recs := sys.awaitRecords(t, id, chunks)

	require.Len(t, recs, chunks)
	for i, r := range recs {
		assert.Equal(t, chunkAudio(i), r.Audio, "chunk %d in order", i)
		assert.Equal(t, id, r.partitionKey, "partition key is the session id")
		assert.Equal(t, "en", r.SourceLanguage)
		assert.Equal(t, int64(i+1), r.Sequence, "the service numbers chunks sent without a sequence")
		assert.Equal(t, audiostream.SequenceFromService, r.SequenceSource)
		assert.WithinDuration(t, sent, r.ReceivedTime(), 30*time.Second)
	}
	spk.noErrors(300 * time.Millisecond) // success sends nothing back
	assert.Equal(t, int64(chunks), sys.kinesis.Count("PutRecord")-putsBefore, "one PutRecord per chunk")
	assert.LessOrEqual(t, sys.roundTrips.Count()-tripsBefore, int64(1+chunks), "the session is read once for all chunks, and each unnumbered chunk takes its number from the session's counter")
}

func TestNumberedChunksReadTheSessionOnceForAll(t *testing.T) {
	sys := startSystem(t, nil)
	spk, id := sys.speaker(t, "alice")
	const chunks = 12
	tripsBefore := sys.roundTrips.Count()
	for i := range chunks {
		spk.send(map[string]any{"action": "sendAudio", "sessionId": id, "audioData": base64.StdEncoding.EncodeToString(chunkAudio(i)), "sequence": i})
	}
	recs := sys.awaitRecords(t, id, chunks)
	for i, r := range recs {
		assert.Equal(t, int64(i), r.Sequence)
	}
	assert.LessOrEqual(t, sys.roundTrips.Count()-tripsBefore, int64(1), "the speaker's own numbers need no counter")
}

func TestTheSpeakersOwnSequenceReachesTheStream(t *testing.T) {
	sys := startSystem(t, nil)
	spk, id := sys.speaker(t, "alice")
	spk.send(map[string]any{"action": "sendAudio", "sessionId": id, "audioData": "AAEC", "sequence": 900, "sampleRate": 16000, "encoding": "pcm16"})
	r := sys.awaitRecords(t, id, 1)[0]
	assert.Equal(t, int64(900), r.Sequence)
	assert.Equal(t, audiostream.SequenceFromSpeaker, r.SequenceSource)
	assert.Equal(t, 16000, r.SampleRate)
	assert.Equal(t, "pcm16", r.Encoding)
	assert.Equal(t, []byte{0, 1, 2}, r.Audio)
}

func TestTheLoopbackPlaysTheSpeakerToEveryListenerInOrder(t *testing.T) {
	sys := startSystemWith(t, nil, systemOptions{audioLoopback: true})
	spk, id := sys.speaker(t, "alice")
	listeners := map[string]*client{"es-1": sys.listener(t, id, "es"), "es-2": sys.listener(t, id, "es"), "fr": sys.listener(t, id, "fr")}
	const chunks = 10
	for i := range chunks {
		spk.send(audioFrame(id, chunkAudio(i)))
	}
	for name, l := range listeners {
		t.Run("listener "+name+" hears every chunk in order", func(t *testing.T) {
			for i := range chunks {
				m := l.skipUntil("audioData")
				audio, err := base64.StdEncoding.DecodeString(m["audioData"].(string))
				require.NoError(t, err)
				assert.Equal(t, string(chunkAudio(i)), string(audio))
				assert.Equal(t, float64(i+1), m["sequence"])
				assert.Equal(t, id, m["sessionId"])
				assert.Equal(t, name[:2], m["targetLanguage"])
				assert.NotZero(t, m["timestamp"])
			}
		})
	}
	spk.noErrors(300 * time.Millisecond)
}

func TestRefusedAudioIsAnsweredAndGoesNowhere(t *testing.T) {
	sys := startSystem(t, nil)
	spk, id := sys.speaker(t, "alice")
	_, other := sys.speaker(t, "bob")
	listener := sys.listener(t, id, "es")
	// The openings and the join put control records; the refusals none.
	puts := sys.kinesis.Count("PutRecord")
	cases := []struct {
		name  string
		from  *client
		frame any
		code  string
		field string
	}{
		{"a listener is forbidden", listener, audioFrame(id, []byte("x")), "FORBIDDEN", ""},
		{"another session's id is forbidden", spk, audioFrame(other, []byte("x")), "FORBIDDEN", ""},
		{"an unknown session is not found", spk, audioFrame("holy-lamb-999", []byte("x")), "SESSION_NOT_FOUND", ""},
		{"a malformed session id is refused", spk, audioFrame("no such id", []byte("x")), "INVALID_SESSION_ID", "sessionId"},
		{"audio that is not base64 is refused", spk, map[string]string{"action": "sendAudio", "sessionId": id, "audioData": "%%%"}, "INVALID_PARAMETERS", "audioData"},
		{"a frame without audio is refused", spk, map[string]string{"action": "sendAudio", "sessionId": id}, "INVALID_PARAMETERS", "audioData"},
		{"a negative sequence is refused", spk, map[string]any{"action": "sendAudio", "sessionId": id, "audioData": "YQ==", "sequence": -1}, "INVALID_PARAMETERS", "sequence"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.from.sendOffContract(tc.frame)
			m := tc.from.skipUntil("error")
			assert.Equal(t, tc.code, m["code"])
			if tc.field != "" {
				assert.Equal(t, tc.field, m["details"].(map[string]any)["field"])
			}
		})
	}
	assert.Empty(t, sys.streamRecords(t, id))
	assert.Empty(t, sys.streamRecords(t, other))
	assert.Equal(t, puts, sys.kinesis.Count("PutRecord"), "a refused chunk is never put")

	t.Run("audio beyond the frame limit closes the connection as API Gateway would", func(t *testing.T) {
		big, bigID := sys.speaker(t, "carol")
		big.sendOffContract(audioFrame(bigID, make([]byte, 32<<10)))
		assert.Equal(t, websocket.StatusMessageTooBig, big.expectClosed())
	})
}

func TestTheChunkRateLimitAnswersOncePerWindowNotPerChunk(t *testing.T) {
	sys := startSystem(t, map[string]string{"AUDIO_CHUNKS_PER_SECOND": "3"})
	spk, id := sys.speaker(t, "alice")
	const sent = 30
	start := time.Now()
	for i := range sent {
		spk.send(audioFrame(id, chunkAudio(i)))
	}
	// A heartbeat after the burst: its answer comes after every chunk's.
	spk.send(map[string]string{"action": "heartbeat"})
	errs := 0
	for {
		var m map[string]any
		select {
		case msg, ok := <-spk.msgs:
			require.True(t, ok, "connection closed: %v", spk.err)
			m = msg
		case <-time.After(waitDeadline):
			t.Fatalf("no heartbeatAck within %s", waitDeadline)
		}
		if m["type"] == "heartbeatAck" {
			break
		}
		if m["type"] == "error" {
			assert.Equal(t, "RATE_LIMIT_EXCEEDED", m["code"])
			assert.Equal(t, 1.0, m["details"].(map[string]any)["retryAfter"])
			errs++
		}
	}
	windows := int(time.Since(start)/time.Second) + 1
	forwarded := len(sys.streamRecords(t, id))
	t.Logf("%d chunks over %d window(s): %d forwarded, %d errors", sent, windows, forwarded, errs)
	assert.GreaterOrEqual(t, errs, 1)
	assert.LessOrEqual(t, errs, windows, "one error per window at most")
	assert.LessOrEqual(t, forwarded, 3*windows)
	assert.Less(t, errs, sent-forwarded, "fewer errors than dropped chunks")
}

func TestAPausedOrMutedBroadcastForwardsNothing(t *testing.T) {
	sys := startSystem(t, nil)
	spk, id := sys.speaker(t, "alice")
	control := func(c string) {
		spk.send(map[string]string{"action": "speakerControl", "control": c})
		spk.skipUntil("broadcastState")
	}
	spk.send(audioFrame(id, []byte("live-1")))
	sys.awaitRecords(t, id, 1)

	control("pause")
	spk.send(audioFrame(id, []byte("paused")))
	control("resume")
	control("mute")
	spk.send(audioFrame(id, []byte("muted")))
	control("unmute")
	spk.send(audioFrame(id, []byte("live-2")))

	recs := sys.awaitRecords(t, id, 2)
	var audio []string
	for _, r := range recs {
		audio = append(audio, string(r.Audio))
	}
	assert.Equal(t, []string{"live-1", "live-2"}, audio, "the pause and the mute applied at once, and were lifted at once")
	spk.noErrors(300 * time.Millisecond)
}

func TestAKinesisOutageIsServiceUnavailableAndHeals(t *testing.T) {
	target, err := url.Parse(kinesisEndpoint)
	require.NoError(t, err)
	proxy := newOutageServer(t, httputil.NewSingleHostReverseProxy(target))
	sys := startSystemWith(t, nil, systemOptions{kinesisEndpoint: proxy.URL(), productionClient: true})
	spk, id := sys.speaker(t, "alice")
	spk.send(audioFrame(id, []byte("before")))
	sys.awaitRecords(t, id, 1)

	proxy.stop()
	start := time.Now()
	spk.send(audioFrame(id, []byte("lost")))
	m := spk.skipUntil("error")
	t.Logf("with the stream unreachable, the speaker was told in %v", time.Since(start))
	assert.Equal(t, "SERVICE_UNAVAILABLE", m["code"], "never a silent drop")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Positive(t, sys.kinesis.Retries(), "the put was retried before giving up")

	proxy.start()
	spk.send(audioFrame(id, []byte("after")))
	recs := sys.awaitRecords(t, id, 2)
	assert.Equal(t, "after", string(recs[1].Audio), "recovered by itself")
	spk.noErrors(300 * time.Millisecond)
}
