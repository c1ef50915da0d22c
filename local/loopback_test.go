package local

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/audiostream"
)

func record(sessionID string, seq int64) audiostream.Record {
	return audiostream.Record{Header: audiostream.Header{SessionID: sessionID, Sequence: seq}}
}

func TestSessionQueuesKeepEachSessionInOrderWithoutHoldingOthersBack(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	got := map[string][]int64{}
	q := &sessionQueues{queues: map[string]*sessionQueue{}, idle: time.Minute, handle: func(_ context.Context, r audiostream.Record) {
		if r.SessionID == "slow" {
			<-release
		}
		mu.Lock()
		got[r.SessionID] = append(got[r.SessionID], r.Sequence)
		mu.Unlock()
	}}
	ctx, cancel := context.WithCancel(context.Background())
	for seq := range int64(5) {
		q.enqueue(ctx, record("slow", seq))
		q.enqueue(ctx, record("fast", seq))
	}
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got["fast"]) == 5 }, 5*time.Second, time.Millisecond,
		"a session sharing the shard is not held back")
	close(release)
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(got["slow"]) == 5 }, 5*time.Second, time.Millisecond)
	mu.Lock()
	assert.Equal(t, []int64{0, 1, 2, 3, 4}, got["slow"])
	assert.Equal(t, []int64{0, 1, 2, 3, 4}, got["fast"])
	mu.Unlock()
	cancel()
	q.wait()
}

func TestAQuietSessionsWorkerExits(t *testing.T) {
	q := &sessionQueues{queues: map[string]*sessionQueue{}, idle: 20 * time.Millisecond, handle: func(context.Context, audiostream.Record) {}}
	q.enqueue(context.Background(), record("s", 1))
	q.wait() // returns only once the idle worker has exited
	q.mu.Lock()
	defer q.mu.Unlock()
	assert.Empty(t, q.queues)
}
