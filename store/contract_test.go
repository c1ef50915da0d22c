package store_test

import (
	"testing"

	"github.com/livecast/sessions/local/ddbcontention"
	"github.com/livecast/sessions/session/sessiontest"
	"github.com/livecast/sessions/store"
)

// The store keeps the same contract as the domain's in-memory double, on
// moto and on the contention stand-in in front of it, whose transactions
// conflict as DynamoDB's do (moto serves one request at a time and never
// shows a conflict).

func TestStoreKeepsThePortsContractOnMoto(t *testing.T) {
	sessiontest.RunContract(t, func(t *testing.T) sessiontest.Ports {
		return ports(newContractStore(t, endpoint))
	})
}

func TestStoreKeepsThePortsContractUnderTransactionConflicts(t *testing.T) {
	sessiontest.RunContract(t, func(t *testing.T) sessiontest.Ports {
		proxy := ddbcontention.Start(t, endpoint, ddbcontention.Options{})
		return ports(newContractStore(t, proxy.URL()))
	})
}

// emulatorSlots bounds the contract's subtests that talk to the emulator at
// once: moto serves one request at a time, so more would only queue there.
var emulatorSlots = make(chan struct{}, 4)

// newContractStore is newStoreAt for one of the contract's parallel
// subtests: it waits for a free emulator slot and holds it until the
// subtest's tables are gone.
func newContractStore(t *testing.T, url string) *store.Store {
	t.Helper()
	emulatorSlots <- struct{}{}
	t.Cleanup(func() { <-emulatorSlots })
	s, _ := newStoreAt(t, url)
	return s
}

func ports(s *store.Store) sessiontest.Ports {
	return sessiontest.Ports{Sessions: s.Sessions, Connections: s.Connections, Scans: s, Limiter: s, AudioSequences: s.Sessions}
}
