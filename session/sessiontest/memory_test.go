package sessiontest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
	"github.com/livecast/sessions/session/sessiontest"
)

func TestMemoryIsSafeForConcurrentUse(t *testing.T) {
	start := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	m := sessiontest.NewMemory()
	m.PutSession(session.Session{ID: "s", Active: true, ExpiresAt: start.Add(time.Hour), ByLanguage: map[string]int{}})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			for range 50 {
				if _, err := m.Sessions().Admit(t.Context(), "s", "fr", 1000, start); err == nil {
					_, _ = m.Sessions().Release(t.Context(), "s", "fr")
				}
				_, _ = m.Scans().LiveSessions(t.Context())
			}
		})
	}
	wg.Wait()
	got, ok := m.Session("s")
	require.True(t, ok)
	assert.Zero(t, got.ListenerCount)
	assert.Equal(t, int64(2000), got.Version)
}
