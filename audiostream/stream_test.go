package audiostream

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

// scriptedAPI answers PutRecord with the scripted errors in turn, then
// success, and records what it was asked.
type scriptedAPI struct {
	API
	mu     sync.Mutex
	script []error
	puts   []*kinesis.PutRecordInput
}

func (a *scriptedAPI) PutRecord(_ context.Context, in *kinesis.PutRecordInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordOutput, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.puts = append(a.puts, in)
	if len(a.script) > 0 {
		err := a.script[0]
		a.script = a.script[1:]
		if err != nil {
			return nil, err
		}
	}
	return &kinesis.PutRecordOutput{SequenceNumber: aws.String("1"), ShardId: aws.String("shardId-000000000000")}, nil
}

func throttled() error {
	return &types.ProvisionedThroughputExceededException{Message: aws.String("Rate exceeded for shard")}
}

func testStream(api API, retry Retry) (*Stream, *[]time.Duration) {
	s := New(api, "audio", retry)
	var waits []time.Duration
	s.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	return s, &waits
}

var testChunk = session.AudioChunk{SessionID: "holy-lamb-101", SourceLanguage: "en", Sequence: 1, ReceivedAt: time.UnixMilli(1), Audio: []byte("pcm")}

func TestAChunkIsPutWithTheSessionAsPartitionKey(t *testing.T) {
	api := &scriptedAPI{}
	s, _ := testStream(api, Retry{})
	require.NoError(t, s.Put(context.Background(), testChunk))
	require.Len(t, api.puts, 1)
	assert.Equal(t, "holy-lamb-101", aws.ToString(api.puts[0].PartitionKey))
	assert.Equal(t, "audio", aws.ToString(api.puts[0].StreamName))
	r, err := DecodeRecord(api.puts[0].Data)
	require.NoError(t, err)
	assert.Equal(t, []byte("pcm"), r.Audio)
}

func TestThrottlingIsRetriedWithGrowingBackoff(t *testing.T) {
	api := &scriptedAPI{script: []error{throttled(), throttled(), throttled()}}
	s, waits := testStream(api, Retry{Attempts: 5, Base: 20 * time.Millisecond, Max: time.Second})
	require.NoError(t, s.Put(context.Background(), testChunk))
	assert.Len(t, api.puts, 4, "three throttled attempts, then success")
	require.Len(t, *waits, 3)
	for i, w := range *waits {
		ceiling := 20 * time.Millisecond << i
		assert.True(t, w >= ceiling/2 && w <= ceiling, "wait %d is %v, want jitter in [%v, %v]", i, w, ceiling/2, ceiling)
	}
}

func TestPersistentFailuresReachTheSpeakerAsUnavailable(t *testing.T) {
	notFound := &types.ResourceNotFoundException{Message: aws.String("Stream audio not found")}
	cases := []struct {
		name     string
		script   []error
		attempts int
	}{
		{"throttling beyond the attempts", []error{throttled(), throttled(), throttled(), throttled()}, 3},
		{"a missing stream, without retries", []error{notFound}, 1},
		{"a service failure beyond the attempts", []error{&smithy.GenericAPIError{Code: "InternalFailure"}, &smithy.GenericAPIError{Code: "InternalFailure"}, &smithy.GenericAPIError{Code: "InternalFailure"}}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := &scriptedAPI{script: tc.script}
			s, _ := testStream(api, Retry{Attempts: 3})
			err := s.Put(context.Background(), testChunk)
			assert.ErrorIs(t, err, session.ErrUnavailable)
			assert.Len(t, api.puts, tc.attempts)
		})
	}
}

func TestAMalformedRequestIsABugNotAnOutage(t *testing.T) {
	api := &scriptedAPI{script: []error{&types.InvalidArgumentException{Message: aws.String("bad")}}}
	s, _ := testStream(api, Retry{})
	err := s.Put(context.Background(), testChunk)
	require.Error(t, err)
	assert.NotErrorIs(t, err, session.ErrUnavailable)
	assert.Len(t, api.puts, 1)
}

func TestRetriesStopWithinTheBudget(t *testing.T) {
	script := make([]error, 100)
	for i := range script {
		script[i] = throttled()
	}
	api := &scriptedAPI{script: script}
	s := New(api, "audio", Retry{Attempts: 100, Base: 10 * time.Millisecond, Max: 40 * time.Millisecond, Budget: 200 * time.Millisecond})
	start := time.Now()
	err := s.Put(context.Background(), testChunk)
	assert.ErrorIs(t, err, session.ErrUnavailable)
	assert.Less(t, time.Since(start), time.Second)
	assert.Less(t, len(api.puts), 100)
}

func TestRetriesStopAtTheRequestDeadline(t *testing.T) {
	script := make([]error, 100)
	for i := range script {
		script[i] = throttled()
	}
	api := &scriptedAPI{script: script}
	s := New(api, "audio", Retry{Attempts: 100, Base: 10 * time.Millisecond, Max: 40 * time.Millisecond, Budget: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Put(ctx, testChunk)
	assert.ErrorIs(t, err, session.ErrUnavailable)
	assert.Less(t, time.Since(start), time.Second)
}

func TestRetryableErrors(t *testing.T) {
	cases := map[string]struct {
		err  error
		want bool
	}{
		"throughput exceeded":     {throttled(), true},
		"KMS throttling":          {&types.KMSThrottlingException{}, true},
		"an attempt's timeout":    {context.DeadlineExceeded, true},
		"a cancelled request":     {context.Canceled, false},
		"a missing stream":        {&types.ResourceNotFoundException{}, false},
		"access denied":           {&smithy.GenericAPIError{Code: "AccessDeniedException"}, false},
		"an unclassified failure": {errors.New("boom"), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, tc.want, retryable(tc.err))
		})
	}
}
