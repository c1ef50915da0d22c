package router

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDisconnectStatusIsReadFromTheEvent(t *testing.T) {
	captured, err := os.ReadFile(filepath.Join("testdata", "disconnect.json"))
	require.NoError(t, err)
	tests := []struct {
		name string
		raw  string
		want disconnectStatus
	}{
		{"a real API Gateway event gives its code and empty reason", string(captured), disconnectStatus{Code: 1001}},
		{"a vanished connection gives 1006", `{"requestContext":{"eventType":"DISCONNECT","disconnectStatusCode":1006,"disconnectReason":""}}`,
			disconnectStatus{Code: 1006}},
		{"a close frame gives the client's code and reason", `{"requestContext":{"eventType":"DISCONNECT","disconnectStatusCode":4000,"disconnectReason":"bye"}}`,
			disconnectStatus{Code: 4000, Reason: "bye"}},
		{"a DELETE gives API Gateway's reason", `{"requestContext":{"eventType":"DISCONNECT","disconnectStatusCode":1000,"disconnectReason":"Connection Closed Normally"}}`,
			disconnectStatus{Code: 1000, Reason: "Connection Closed Normally"}},
		{"an event without the fields gives zero", `{"requestContext":{"eventType":"DISCONNECT"}}`, disconnectStatus{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev events.APIGatewayWebsocketProxyRequest
			require.NoError(t, json.Unmarshal([]byte(tt.raw), &ev))
			assert.Equal(t, tt.want, disconnectStatusOf(ev))
		})
	}
}
