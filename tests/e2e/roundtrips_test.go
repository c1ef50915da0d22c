package e2e

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// DynamoDB requests per operation (issue #3's budget), counted on the wire.
// Unlike latency this does not depend on the machine.
func TestDynamoDBRoundTripsPerOperation(t *testing.T) {
	sys := startSystem(t, generousLimits)
	measure := func(op func()) int64 {
		sys.settle(t) // earlier asynchronous work is not this operation's
		before := sys.roundTrips.Count()
		op()
		return sys.roundTrips.Count() - before
	}
	var spk *client
	var id string
	create := measure(func() { spk, id = sys.speaker(t, "owner") })

	var l *client
	join := measure(func() {
		l = sys.listener(t, id, "es")
		spk.expect("listenerCount") // the welcome's last step
	})
	heartbeat := measure(func() {
		l.send(map[string]string{"action": "heartbeat"})
		l.expect("heartbeatAck")
	})
	var l2 *client
	refreshListener := measure(func() {
		l2 = sys.dial(t, query("action", "refreshConnection", "role", "listener", "sessionId", id, "targetLanguage", "es"))
		l2.expect("connectionRefreshComplete")
		spk.expect("listenerCount") // a token-less refresh takes a seat: the welcome's last step
	})
	leave := measure(func() {
		sys.closeAndAwaitDisconnect(t, l)
		spk.expect("listenerCount")
	})
	// v1.2: the refresh closes the connection it replaced, so its cost
	// includes that connection's $disconnect (its record removed, the end it
	// would ask for refused: it is not the speaker any more). Before v1.2
	// the original client closed it itself, at the same cost.
	refreshSpeaker := measure(func() {
		sys.awaitDisconnect(t, func() {
			spk2 := sys.dial(t, query("action", "refreshConnection", "role", "speaker", "sessionId", id, "token", sys.token(t, "owner")))
			spk2.expect("connectionRefreshComplete")
			spk2.expect("listenerCount") // the welcome's last step
			spk.expectClosed()
			spk = spk2
		})
	})
	_ = l2

	t.Logf("round trips: create=%d join=%d heartbeat=%d leave=%d refreshListener=%d refreshSpeaker=%d",
		create, join, heartbeat, leave, refreshListener, refreshSpeaker)
	assert.LessOrEqual(t, create, int64(3), "createSession")
	// A join and a token-less refresh read the address's held seats (issue
	// #18: the bound on pinned seats) after the limit write, before the admission
	// and the record.
	assert.LessOrEqual(t, join, int64(4), "joinSession, welcome included")
	assert.LessOrEqual(t, heartbeat, int64(1), "heartbeat")
	assert.LessOrEqual(t, leave, int64(2), "listener disconnect")
	assert.LessOrEqual(t, refreshListener, int64(4), "listener refresh")
	assert.LessOrEqual(t, refreshSpeaker, int64(3+3), "speaker refresh: 3, and 3 for the replaced connection's $disconnect")

	for _, n := range []int{0, 30, 60} {
		sys := startSystem(t, generousLimits)
		_, id := sys.speaker(t, "owner")
		for range n {
			sys.listener(t, id, "fr")
		}
		connID := sys.speakerConnection(t, id)
		resp, calls := sys.invoke(t, apiEvent(t, "DISCONNECT", "$disconnect", connID, nil, ""))
		assert.Equal(t, 200, resp.StatusCode)
		// Its record removed, the listeners read, the session ended, then
		// their closing marks 25 to a batch: nothing after the closes.
		budget := 3 + int64(math.Ceil(float64(n)/25))
		t.Logf("round trips: speaker disconnect with %d listeners = %d (budget %d)", n, calls, budget)
		assert.LessOrEqual(t, calls, budget)
		assert.False(t, sys.session(t, id).Active)
	}
}
