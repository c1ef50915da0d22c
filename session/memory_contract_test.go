package session_test

import (
	"testing"

	"github.com/livecast/sessions/session/sessiontest"
)

// The double is only worth its tests if it keeps the ports' contract, the
// same one the DynamoDB store passes (store's tests run it there).
func TestMemoryKeepsThePortsContract(t *testing.T) {
	sessiontest.RunContract(t, sessiontest.NewMemoryPorts)
}
