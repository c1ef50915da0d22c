package sessiontest

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// audioSequencesContract: one count per session, from 1, that concurrent
// callers (function instances) never share a number of.
func audioSequencesContract(t *testing.T, newPorts func(t *testing.T) Ports) {
	t.Run("each session counts from 1 on its own", func(t *testing.T) {
		f := setUp(t, newPorts)
		for want := int64(1); want <= 3; want++ {
			n, err := f.AudioSequences.NextAudioSequence(f.ctx(), sessionID)
			require.NoError(t, err)
			assert.Equal(t, want, n)
		}
		n, err := f.AudioSequences.NextAudioSequence(f.ctx(), otherSessionID)
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)
	})
	t.Run("concurrent callers never get the same number", func(t *testing.T) {
		f := setUp(t, newPorts)
		const callers = 20
		var mu sync.Mutex
		seen := map[int64]bool{}
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				n, err := f.AudioSequences.NextAudioSequence(f.ctx(), sessionID)
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				assert.False(t, seen[n], "number %d handed out twice", n)
				seen[n] = true
			})
		}
		wg.Wait()
		assert.Len(t, seen, callers)
	})
}
