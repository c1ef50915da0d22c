package audiostream_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/audiostream"
	"github.com/livecast/sessions/local/motoserver"
	"github.com/livecast/sessions/session"
)

// endpoint is the Kinesis API the tests talk to: AWS_ENDPOINT_URL_KINESIS
// when set, else a moto_server started here for the whole package.
var endpoint string

func TestMain(m *testing.M) {
	endpoint = os.Getenv("AWS_ENDPOINT_URL_KINESIS")
	var srv *motoserver.Server
	if endpoint == "" {
		var err error
		if srv, err = motoserver.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "audiostream tests need a Kinesis API:", err)
			os.Exit(1)
		}
		endpoint = srv.URL
	}
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}

var streamSeq atomic.Int64

// newStream creates a fresh on-demand stream for one test and deletes it
// afterwards.
func newStream(t *testing.T) *audiostream.Stream {
	t.Helper()
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	}
	s := audiostream.New(audiostream.NewClient(cfg), fmt.Sprintf("audio-%d-%d", time.Now().UnixNano(), streamSeq.Add(1)), audiostream.Retry{})
	require.NoError(t, s.Create(context.Background()))
	t.Cleanup(func() { _ = s.Delete(context.Background()) })
	return s
}

func TestCreatingAnExistingStreamSucceeds(t *testing.T) {
	s := newStream(t)
	assert.NoError(t, s.Create(context.Background()))
}

func TestEachSessionsChunksAreReadBackInOrder(t *testing.T) {
	s := newStream(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	sessions := []string{"holy-lamb-101", "brave-shepherd-202", "calm-river-303", "eager-light-404"}
	const perSession = 10
	var mu sync.Mutex
	got := map[string][]int64{}
	followed := make(chan error, 1)
	go func() {
		followed <- s.Follow(ctx, audiostream.FollowOptions{Poll: 50 * time.Millisecond}, func(_ context.Context, r audiostream.Record) {
			mu.Lock()
			got[r.SessionID] = append(got[r.SessionID], r.Sequence)
			mu.Unlock()
		})
	}()
	for seq := range int64(perSession) {
		for _, id := range sessions {
			require.NoError(t, s.Put(ctx, session.AudioChunk{SessionID: id, SourceLanguage: "en", Sequence: seq, ReceivedAt: time.Now(), Audio: []byte{byte(seq)}}))
		}
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, seqs := range got {
			n += len(seqs)
		}
		return n == perSession*len(sessions)
	}, waitDeadline, 20*time.Millisecond)
	want := make([]int64, perSession)
	for i := range want {
		want[i] = int64(i)
	}
	mu.Lock()
	for _, id := range sessions {
		assert.Equal(t, want, got[id], "session %s in order", id)
	}
	mu.Unlock()
	cancel()
	assert.ErrorIs(t, <-followed, context.Canceled)
}

func TestADeadEndpointIsUnavailable(t *testing.T) {
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String("http://127.0.0.1:1"),
	}
	s := audiostream.New(audiostream.NewClient(cfg), "audio", audiostream.Retry{Attempts: 2})
	err := s.Put(context.Background(), session.AudioChunk{SessionID: "holy-lamb-101", Audio: []byte("x")})
	assert.ErrorIs(t, err, session.ErrUnavailable)
}

func TestRequestsAreCountedPerAPI(t *testing.T) {
	s := newStream(t)
	var requests audiostream.Requests
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
	}
	counted := audiostream.New(audiostream.NewClient(cfg, requests.Option()), s.Name(), audiostream.Retry{})
	for i := range 3 {
		require.NoError(t, counted.Put(context.Background(), session.AudioChunk{SessionID: "holy-lamb-101", Sequence: int64(i), Audio: []byte("x")}))
	}
	assert.Equal(t, int64(3), requests.Count("PutRecord"))
	assert.Equal(t, int64(3), requests.Count(""))
	assert.Zero(t, requests.Count("GetRecords"))
	assert.Zero(t, requests.Retries())
}

func TestASessionsControlAndAudioRecordsAreReadInOnePutOrder(t *testing.T) {
	s := newStream(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const id = "holy-lamb-101"
	var mu sync.Mutex
	var got []string
	followed := make(chan error, 1)
	go func() {
		followed <- s.Follow(ctx, audiostream.FollowOptions{Poll: 50 * time.Millisecond}, func(_ context.Context, r audiostream.Record) {
			mu.Lock()
			defer mu.Unlock()
			if r.Control != nil {
				got = append(got, r.Control.Kind)
			} else {
				got = append(got, string(r.Audio))
			}
		})
	}()
	require.NoError(t, s.Publish(ctx, session.PipelineEvent{Kind: session.PipelineOpened, SessionID: id, StateVersion: 1, SourceLanguage: "en"}))
	require.NoError(t, s.Put(ctx, session.AudioChunk{SessionID: id, Sequence: 1, Audio: []byte("a1")}))
	require.NoError(t, s.Publish(ctx, session.PipelineEvent{Kind: session.PipelineLanguages, SessionID: id, StateVersion: 2, TargetLanguages: []string{"es"}}))
	require.NoError(t, s.Put(ctx, session.AudioChunk{SessionID: id, Sequence: 2, Audio: []byte("a2")}))
	require.NoError(t, s.Publish(ctx, session.PipelineEvent{Kind: session.PipelineEnded, SessionID: id, StateVersion: 3}))
	want := []string{"sessionOpened", "a1", "languages", "a2", "ended"}
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == len(want) }, waitDeadline, 20*time.Millisecond)
	mu.Lock()
	assert.Equal(t, want, got)
	mu.Unlock()
	cancel()
	assert.ErrorIs(t, <-followed, context.Canceled)
}

// waitDeadline bounds every wait for records read back: moto serves one
// request at a time, and on a busy two-core machine a read can queue for
// seconds; a condition that holds returns at once.
const waitDeadline = 60 * time.Second
