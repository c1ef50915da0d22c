package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/router"
	"github.com/livecast/sessions/session"
)

// snapshot is everything stored about a session and its connections.
type snapshot struct {
	Session     session.Session
	Connections []session.Connection
}

func (s *system) snapshot(t *testing.T, id string) snapshot {
	t.Helper()
	ctx := context.Background()
	sess, err := s.Graph.Store.Sessions.Get(ctx, id)
	require.NoError(t, err)
	all, err := s.Graph.Store.AllConnections(ctx)
	require.NoError(t, err)
	var mine []session.Connection
	for _, c := range all {
		if c.SessionID == id {
			mine = append(mine, c)
		}
	}
	sort.Slice(mine, func(i, j int) bool { return mine[i].ID < mine[j].ID })
	// The state version only grows: a replayed write that changes nothing
	// else may still take a number (a replayed join counts and uncounts), so
	// what a replay must not change is everything but it.
	sess.StateVersion = 0
	return snapshot{Session: sess, Connections: mine}
}

// Replaying any event (same connection id, same route, same request) twice
// changes nothing the second time (docs/SPEC.md R16).
func TestEveryRouteIsIdempotent(t *testing.T) {
	sys := startSystem(t, withEnv(generousLimits, "RATE_LIMIT_HEARTBEATS_PER_MIN", "100"))
	spk, id := sys.speaker(t, "owner")
	spkID := sys.speakerConnection(t, id)
	l := sys.dial(t, joinQuery(id))
	lID := l.expect("sessionJoined")["connectionId"].(string)
	spk.expect("listenerCount")

	message := func(connID, route, body string) []byte {
		var ev map[string]any
		require.NoError(t, json.Unmarshal(apiEvent(t, "MESSAGE", route, connID, nil, body), &ev))
		ev["requestContext"].(map[string]any)["requestId"] = "fixed-request-" + route
		raw, err := json.Marshal(ev)
		require.NoError(t, err)
		return raw
	}
	broadcast, err := router.NewBroadcastEvent(id, "es", json.RawMessage(fmt.Sprintf(`{"type":"audioData","timestamp":1764300000000,"sessionId":%q,"targetLanguage":"es","audioData":"aG9sYQ==","sequence":1}`, id)))
	require.NoError(t, err)

	events := []struct {
		route string
		event []byte
	}{
		{"$connect (join)", apiEvent(t, "CONNECT", "$connect", "replay-listener", map[string]string{"action": "joinSession", "sessionId": id, "targetLanguage": "de"}, "")},
		{"$connect (refresh)", apiEvent(t, "CONNECT", "$connect", "replay-refresh", map[string]string{"action": "refreshConnection", "role": "listener", "sessionId": id, "targetLanguage": "de"}, "")},
		{"heartbeat", message(lID, "heartbeat", `{"action":"heartbeat"}`)},
		{"getSessionStatus", message(lID, "getSessionStatus", `{"action":"getSessionStatus"}`)},
		{"speakerControl", message(spkID, "speakerControl", `{"action":"speakerControl","control":"mute"}`)},
		{"controlSession", message(spkID, "controlSession", `{"action":"controlSession","command":"pause"}`)},
		{"changeLanguage", message(lID, "changeLanguage", `{"action":"changeLanguage","targetLanguage":"fr"}`)},
		{"$default", message(lID, "$default", `{"action":"nope"}`)},
		{"broadcast", broadcast},
		{"sweep", router.ScheduledEvent(sys.clock.Now())},
		{"$disconnect", apiEvent(t, "DISCONNECT", "$disconnect", "replay-listener", nil, "")},
	}
	for _, ev := range events {
		t.Run(ev.route, func(t *testing.T) {
			_, err := sys.Invoke(context.Background(), ev.event)
			require.NoError(t, err)
			first := sys.snapshot(t, id)
			_, err = sys.Invoke(context.Background(), ev.event)
			require.NoError(t, err)
			assert.Equal(t, first, sys.snapshot(t, id), "the replay changed stored state")
		})
	}
}
