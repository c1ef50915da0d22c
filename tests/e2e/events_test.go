package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/store"
)

// apiEvent builds an API Gateway WebSocket event as API Gateway sends it, for
// tests that invoke the function directly (replays, the audio pipeline).
func apiEvent(t *testing.T, eventType, route, connID string, q map[string]string, body string) []byte {
	t.Helper()
	now := time.Now()
	ev := events.APIGatewayWebsocketProxyRequest{
		QueryStringParameters: q,
		Body:                  body,
		RequestContext: events.APIGatewayWebsocketProxyRequestContext{
			RouteKey: route, EventType: eventType, ConnectionID: connID, Stage: "local", APIID: "local",
			DomainName: "127.0.0.1", RequestID: fmt.Sprintf("req-%d", now.UnixNano()),
			ConnectedAt: now.UnixMilli(), RequestTimeEpoch: now.UnixMilli(),
			Identity: events.APIGatewayRequestIdentity{SourceIP: "203.0.113.7"},
		},
	}
	if eventType == "DISCONNECT" {
		// What API Gateway reports for a client that closed with 1000; tests
		// of lost connections drop real sockets instead.
		ev.RequestContext.DisconnectStatusCode = 1000
	}
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	return raw
}

// invoke calls the function directly and returns the decoded proxy response
// and the DynamoDB requests this one invocation made.
func (s *system) invoke(t *testing.T, event []byte) (events.APIGatewayProxyResponse, int64) {
	t.Helper()
	rt := &store.RoundTrips{}
	out, err := s.Invoke(store.CountInto(context.Background(), rt), event)
	require.NoError(t, err)
	var resp events.APIGatewayProxyResponse
	require.NoError(t, json.Unmarshal(out, &resp))
	return resp, rt.Count()
}
