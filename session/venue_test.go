package session_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

// docs/SPEC.md X11: limits keyed on what an attacker takes (seats), not on
// how many honest people share one address.

const venueIP, otherIP = "203.0.113.7", "198.51.100.9"

// lose drops a connection without a close frame.
func (f *fixture) lose(id string) {
	f.t.Helper()
	require.NoError(f.t, f.svc.Disconnect(f.ctx(), id, 1006))
}

func (f *fixture) refused(id, ip, query string) *session.Error {
	f.t.Helper()
	_, err := f.connect(id, ip, query)
	var e *session.Error
	require.ErrorAs(f.t, err, &e)
	return e
}

func TestARoomBehindOneAddressGetsIn(t *testing.T) {
	f := newFixture(t, session.Config{}) // the defaults
	f.seed()
	for i := range 300 {
		f.join("v"+strconv.Itoa(i), venueIP, seededID, "es")
	}
	assert.Equal(t, 300, f.stored(seededID).ListenerCount)
}

func TestARoomOfAThousandGetsInWithTheDocumentedSettings(t *testing.T) {
	// README, "Limits and the venue".
	f := newFixture(t, session.Config{MaxListenersPerSession: 1000, ListenerJoinsPerMinute: 1200, ConnectionAttemptsPerMin: 1500})
	f.seed()
	for i := range 1000 {
		f.join("v"+strconv.Itoa(i), venueIP, seededID, "es")
	}
	assert.Equal(t, 1000, f.stored(seededID).ListenerCount)
}

func TestNewSeatsFromAnAddressAreCountedPerSession(t *testing.T) {
	f := newFixture(t, session.Config{ListenerJoinsPerMinute: 1})
	f.seed()
	other := f.create("spk2")
	f.join("a", venueIP, seededID, "es")
	f.join("b", venueIP, other, "es") // the talk next door, same Wi-Fi
	e := f.refused("c", venueIP, "action=joinSession&sessionId="+seededID+"&targetLanguage=es")
	assert.Equal(t, session.CodeRateLimitExceeded, e.Code)
	f.join("d", otherIP, seededID, "es")
}

func TestATokenlessRefreshCountsLikeAJoin(t *testing.T) {
	f := newFixture(t, session.Config{ListenerJoinsPerMinute: 1})
	f.seed()
	f.join("a", venueIP, seededID, "es")
	e := f.refused("b", venueIP, "action=refreshConnection&role=listener&sessionId="+seededID+"&targetLanguage=es")
	assert.Equal(t, session.CodeRateLimitExceeded, e.Code, "the second door counts the joins of the first")
	assert.Equal(t, 1, f.stored(seededID).ListenerCount)
}

func TestHeldSeatsPerAddressAreBounded(t *testing.T) {
	const window = 120 * time.Second
	join := "action=joinSession&sessionId=" + seededID + "&targetLanguage=es"
	refresh := "action=refreshConnection&role=listener&sessionId=" + seededID + "&targetLanguage=es"
	f := newFixture(t, session.Config{MaxHeldSeatsPerAddress: 2, ReconnectWindow: window})
	f.seed()
	first := f.join("a", venueIP, seededID, "es")
	f.lose("a")
	f.clock.advance(10 * time.Second)
	f.join("b", venueIP, seededID, "es")
	f.lose("b")
	f.clock.advance(10 * time.Second)

	for name, q := range map[string]string{"a join": join, "a token-less refresh": refresh} {
		e := f.refused("c", venueIP, q)
		assert.Equal(t, session.CodeRateLimitExceeded, e.Code, name)
		assert.Equal(t, 100, e.RetryAfter, name+": when the oldest held seat frees")
	}
	f.join("d", otherIP, seededID, "es") // another address is not this one's attacker

	w, err := f.connect("a2", venueIP, refresh+"&resumeToken="+first.ResumeToken)
	require.NoError(t, err, "a resume is never refused by the bound")
	assert.NotEmpty(t, w.ResumeToken)
	f.join("e", venueIP, seededID, "es") // a's seat is no longer held: one held, under the bound

	f.lose("e")
	assert.Equal(t, 110, f.refused("g", venueIP, join).RetryAfter, "b, lost at 10 s, frees at 130 s")
	f.clock.advance(110 * time.Second)
	f.join("h", venueIP, seededID, "es")
}

func TestRetryAfterIsWhenTheAddressIsBackUnderTheBound(t *testing.T) {
	f := newFixture(t, session.Config{MaxHeldSeatsPerAddress: 2, ReconnectWindow: 120 * time.Second})
	f.seed()
	for i := range 3 {
		f.join("l"+strconv.Itoa(i), venueIP, seededID, "es")
	}
	for i := range 3 {
		f.lose("l" + strconv.Itoa(i))
		f.clock.advance(5 * time.Second)
	}
	e := f.refused("x", venueIP, "action=joinSession&sessionId="+seededID+"&targetLanguage=es")
	assert.Equal(t, 125-15, e.RetryAfter, "three held (lost at 0, 5 and 10 s), bound two: once the second oldest frees")
}

func TestTheSweepCountsTheSeatsItHoldsAndForgetsThoseItReleases(t *testing.T) {
	f := newFixture(t, session.Config{MaxHeldSeatsPerAddress: 1, ReconnectWindow: 120 * time.Second, HeartbeatTimeout: 90 * time.Second})
	f.seed()
	f.join("quiet", venueIP, seededID, "es")
	speakerBeats := func() { // only the listener is silent
		f.mem.PutConnection(session.Connection{ID: "spk", SessionID: seededID, Role: session.RoleSpeaker, UserID: aliceID, ConnectedAt: start, LastSeenAt: f.clock.Now()})
	}
	f.clock.advance(91 * time.Second)
	speakerBeats()
	_, err := f.svc.Sweep(f.ctx())
	require.NoError(t, err)
	require.True(t, f.record("quiet").Held(), "a silent listener's seat is held")
	assert.Equal(t, session.CodeRateLimitExceeded, f.refused("x", venueIP, "action=joinSession&sessionId="+seededID+"&targetLanguage=es").Code)

	f.clock.advance(121 * time.Second)
	speakerBeats()
	rep, err := f.svc.Sweep(f.ctx())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Released)
	held, err := f.limiter.HeldSeats(f.ctx(), seededID, session.HashID(venueIP), start)
	require.NoError(t, err)
	assert.Empty(t, held, "a released seat is forgotten, not only expired")
}
