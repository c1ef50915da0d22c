package session

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goneMessenger answers 410 for the first gone sends, then delivers.
type goneMessenger struct {
	mu    sync.Mutex
	gone  int
	sends int
	got   []Message
}

func (m *goneMessenger) Send(_ context.Context, _ string, msg Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sends++
	if m.sends <= m.gone {
		return ErrConnectionGone
	}
	m.got = append(m.got, msg)
	return nil
}

func (m *goneMessenger) Disconnect(context.Context, string) error { return nil }

func TestWelcomeWaitsForTheConnectionToOpen(t *testing.T) {
	m := &goneMessenger{gone: 3}
	s := New(Config{WelcomeRetryFor: 2 * time.Second}, Deps{Messenger: m})
	w := Welcome{Kind: WelcomeCreated, ConnectionID: "c1", SessionID: "holy-lamb-101", SourceLanguage: "en", QualityTier: "standard"}
	require.NoError(t, s.Welcome(context.Background(), w))
	assert.Equal(t, 4, m.sends, "retried while the connection answered 410")
	require.Len(t, m.got, 1)
	assert.Equal(t, "holy-lamb-101", m.got[0].(SessionCreated).SessionID)
}

func TestWelcomeGivesUpOnAConnectionThatNeverOpens(t *testing.T) {
	m := &goneMessenger{gone: 1 << 30}
	s := New(Config{WelcomeRetryFor: 300 * time.Millisecond}, Deps{Messenger: m})
	start := time.Now()
	err := s.Welcome(context.Background(), Welcome{Kind: WelcomeRefreshed, ConnectionID: "c1", SessionID: "holy-lamb-101", Role: RoleListener})
	assert.ErrorIs(t, err, ErrConnectionGone)
	assert.Less(t, time.Since(start), 2*time.Second, "bounded by WelcomeRetryFor")
	assert.Greater(t, m.sends, 2)
}

// throttledMessenger answers 429 for the first throttled sends, then delivers.
type throttledMessenger struct{ goneMessenger }

func (m *throttledMessenger) Send(_ context.Context, _ string, msg Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sends++
	if m.sends <= m.gone {
		return ErrThrottled
	}
	m.got = append(m.got, msg)
	return nil
}

func TestAWelcomeThrottledByTheAccountQuotaIsRetried(t *testing.T) {
	m := &throttledMessenger{goneMessenger{gone: 2}}
	s := New(Config{WelcomeRetryFor: 2 * time.Second}, Deps{Messenger: m})
	w := Welcome{Kind: WelcomeCreated, ConnectionID: "c1", SessionID: "holy-lamb-101", SourceLanguage: "en", QualityTier: "standard"}
	require.NoError(t, s.Welcome(context.Background(), w))
	assert.Equal(t, 3, m.sends, "two 429s, then delivered")
	require.Len(t, m.got, 1)
}
