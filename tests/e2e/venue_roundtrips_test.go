package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// DynamoDB requests of the paths issue #18 changed, counted on the wire
// (TestDynamoDBRoundTripsPerOperation has the join and the refreshes).
func TestDynamoDBRoundTripsOfHeldSeats(t *testing.T) {
	sys := startSystem(t, generousLimits)
	measure := func(op func()) int64 {
		sys.settle(t)
		before := sys.roundTrips.Count()
		op()
		sys.settle(t)
		return sys.roundTrips.Count() - before
	}
	spk, id := sys.speaker(t, "owner")
	l := sys.dialDroppable(t, query("action", "joinSession", "sessionId", id, "targetLanguage", "es"))
	token := l.expect("sessionJoined")["resumeToken"].(string)
	spk.expect("listenerCount")

	lost := measure(func() { sys.awaitDisconnect(t, l.drop) })
	resume := measure(func() {
		back := sys.dial(t, query("action", "refreshConnection", "role", "listener", "sessionId", id, "targetLanguage", "es", "resumeToken", token))
		back.expect("connectionRefreshComplete")
	})
	t.Logf("round trips: listener lost=%d resume=%d", lost, resume)
	assert.LessOrEqual(t, lost, int64(2), "the seat held, and noted against its address")
	assert.LessOrEqual(t, resume, int64(3), "the attempt, the seat taken back, and its note forgotten")
}
