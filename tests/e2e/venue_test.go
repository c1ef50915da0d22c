package e2e

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/local/ddbcontention"
)

// docs/SPEC.md X11, issue #18: a room of phones behind one public address
// gets in on production settings, one address cannot pin more than a
// bounded number of held seats, and a real room's mass drop loses nobody.
// Every client of these tests shares one address (127.0.0.1) unless it dials
// from otherAddress; connections drop for real (TCP reset, no close frame).

func TestARoomBehindOneAddressJoinsOnProductionSettings(t *testing.T) {
	const room = 300
	env := prodSettings(t)
	require.Equal(t, "500", env["MAX_LISTENERS_PER_SESSION"], "the capacity the issue names")
	proxy := ddbcontention.Start(t, dynamoEndpoint, ddbcontention.Options{})
	sys := startSystemWith(t, env, systemOptions{dynamoEndpoint: proxy.URL()})
	_, id := sys.speaker(t, "alice")
	sys.freshWindow(time.Minute) // the worst case: the whole room in one rate-limit window

	began, requests := time.Now(), sys.roundTrips.Count()
	outcomes := sys.joinStorm(t, id, room)
	took := time.Since(began)
	tally := map[string]int{}
	for _, o := range outcomes {
		if o.status == http.StatusSwitchingProtocols {
			tally["admitted"]++
		} else {
			tally[o.code]++
		}
	}
	t.Logf("%d joins from one address on the contention stand-in: %v in %v, %d DynamoDB requests", room, tally, took, sys.roundTrips.Count()-requests)
	assert.Equal(t, map[string]int{"admitted": room}, tally)
	assert.Less(t, took, 30*time.Second, "the room is in within 30 s")
	assert.Equal(t, room, sys.session(t, id).Count)
	assert.Equal(t, room, sys.listenerRecords(t, id))
}

func TestOneAddressCannotPinSeats(t *testing.T) {
	sys := startSystem(t, prodSettings(t))
	bound := sys.cfg.Session.MaxHeldSeatsPerAddress
	require.Equal(t, 20, bound, "the default bound")
	_, id := sys.speaker(t, "alice")
	join := query("action", "joinSession", "sessionId", id, "targetLanguage", "es")
	refresh := query("action", "refreshConnection", "role", "listener", "sessionId", id, "targetLanguage", "es")

	// The attack of the issue: seats taken, then dropped, and never reclaimed.
	pinned := sys.seatAll(t, bound, bound, "sessionJoined", func(int) string { return join })
	sys.dropAll(t, pinned)
	require.Equal(t, bound, sys.heldRecords(t, id))

	for name, q := range map[string]string{"a join": join, "a token-less refresh": refresh} {
		_, status, body := sys.tryDial(t, q)
		require.Equal(t, http.StatusTooManyRequests, status, "%s past the bound: %v", name, body)
		assert.Equal(t, "RATE_LIMIT_EXCEEDED", body["code"])
		retry := body["details"].(map[string]any)["retryAfter"].(float64)
		assert.True(t, retry > 60 && retry <= 120, "%s: retryAfter %v is when the oldest held seat frees (the window is 120 s)", name, retry)
	}
	assert.Equal(t, bound, sys.session(t, id).Count, "the refused took no seat")

	c, status, body := sys.tryDialFrom(t, otherAddress, join)
	require.NotNil(t, c, "another address is not refused by this one's held seats: %d %v", status, body)
	c.expect("sessionJoined")

	back := sys.dial(t, refresh+"&"+query("resumeToken", pinned[0].token))
	back.expect("connectionRefreshComplete") // a resume is never refused by the bound
	sys.listener(t, id, "es")                // one seat less held: under the bound again

	// At the bound again, the refusal's retryAfter is the truth.
	last := sys.dialDroppable(t, join)
	last.expect("sessionJoined")
	sys.dropAll(t, []*seated{{droppable: last}})
	_, status, body = sys.tryDial(t, join)
	require.Equal(t, http.StatusTooManyRequests, status)
	retry := body["details"].(map[string]any)["retryAfter"].(float64)
	sys.clock.Advance(time.Duration(retry) * time.Second)
	sys.listener(t, id, "es")
}

func TestAMassDropOfARoomLosesNobody(t *testing.T) {
	const room = 200
	env := prodSettings(t)
	env["MAX_LISTENERS_PER_SESSION"] = strconv.Itoa(room) // a full room: nobody else may take a seat
	sys := startSystem(t, env)
	_, id := sys.speaker(t, "alice")
	langs := []string{"es", "fr", "de"}
	join := func(i int) string {
		return query("action", "joinSession", "sessionId", id, "targetLanguage", langs[i%3])
	}

	began := time.Now()
	ls := sys.seatAll(t, room, 50, "sessionJoined", join)
	sys.dropAll(t, ls) // the venue's access point restarts
	require.Equal(t, room, sys.heldRecords(t, id), "every seat is held")

	_, status, body := sys.tryDialFrom(t, otherAddress, join(0))
	assert.Equal(t, http.StatusServiceUnavailable, status, "nobody takes a held seat: %v", body)
	_, status, body = sys.tryDial(t, join(0))
	assert.Equal(t, http.StatusTooManyRequests, status, "the venue's new seats wait while it holds past the bound: %v", body)

	back := sys.seatAll(t, room, 50, "connectionRefreshComplete", func(i int) string {
		return query("action", "refreshConnection", "role", "listener", "sessionId", id, "targetLanguage", langs[i%3], "resumeToken", ls[i].token)
	})
	t.Logf("%d joined, dropped and came back in %v", len(back), time.Since(began))
	v := sys.session(t, id)
	assert.Equal(t, room, v.Count)
	assert.Equal(t, map[string]int{"es": 67, "fr": 67, "de": 66}, v.ByLanguage)
	assert.Equal(t, room, sys.listenerRecords(t, id))
	assert.Zero(t, sys.heldRecords(t, id), "every seat was taken back")

	_, status, body = sys.tryDial(t, join(0))
	assert.Equal(t, http.StatusServiceUnavailable, status, "the room is whole: full, and no longer past the held bound: %v", body)
}
