package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// prodSettings is the environment envs/prod.tfvars gives the function (as
// terraform/main.tf maps it), so the venue tests run on what is shipped.
func prodSettings(t *testing.T) map[string]string {
	t.Helper()
	raw, err := os.ReadFile("../../envs/prod.tfvars")
	require.NoError(t, err)
	env := map[string]string{}
	for variable, name := range map[string]string{
		"max_listeners_per_session":              "MAX_LISTENERS_PER_SESSION",
		"rate_limit_sessions_per_hour":           "RATE_LIMIT_SESSIONS_PER_HOUR",
		"rate_limit_listener_joins_per_min":      "RATE_LIMIT_LISTENER_JOINS_PER_MIN",
		"rate_limit_connection_attempts_per_min": "RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN",
		"rate_limit_heartbeats_per_min":          "RATE_LIMIT_HEARTBEATS_PER_MIN",
	} {
		m := regexp.MustCompile(`(?m)^\s*` + variable + `\s*=\s*(\d+)\s*$`).FindSubmatch(raw)
		require.NotNil(t, m, "envs/prod.tfvars sets %s", variable)
		env[name] = string(m[1])
	}
	return env
}

// The local gateway takes a connection's source address from its TCP peer;
// every loopback address is this machine, so a second one is a second venue.
const otherAddress = "127.0.0.2"

// tryDialFrom is tryDial from the local address ip.
func (s *system) tryDialFrom(t *testing.T, ip, rawQuery string) (*client, int, map[string]any) {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	transport := &http.Transport{DialContext: dialer.DialContext}
	t.Cleanup(transport.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, s.Gateway.URL()+"?"+rawQuery, &websocket.DialOptions{HTTPClient: &http.Client{Transport: transport}})
	if err != nil {
		require.NotNil(t, resp, "dial failed without a response: %v", err)
		var body map[string]any
		b, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(b, &body)
		return nil, resp.StatusCode, body
	}
	return newClient(t, conn), http.StatusSwitchingProtocols, nil
}

// seated is a droppable listener and the resume token of its last welcome.
type seated struct {
	*droppable
	token string
}

// next waits for the client's next message of type typ without failing the
// test from a goroutine; it returns nil if none came.
func (c *client) next(typ string) map[string]any {
	deadline := time.After(waitDeadline)
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				return nil
			}
			if m["type"] == typ {
				return m
			}
		case <-deadline:
			return nil
		}
	}
}

// seatAll opens n listener connections with the query each index gives,
// at most inFlight at a time (phones arrive, and come back with jittered
// backoff, not in one instant; a storm of all of them is joinStorm's test),
// waits for each one's welcome of type welcome, and fails the test unless
// every one got a seat and a resume token.
func (s *system) seatAll(t *testing.T, n, inFlight int, welcome string, queryOf func(i int) string) []*seated {
	t.Helper()
	out := make([]*seated, n)
	errs := make([]error, n)
	slots := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			d, status, body := s.tryDialDroppable(t, queryOf(i))
			if d == nil {
				errs[i] = fmt.Errorf("listener %d refused with %d: %v", i, status, body)
				return
			}
			m := d.next(welcome)
			token, _ := m["resumeToken"].(string)
			if token == "" {
				errs[i] = fmt.Errorf("listener %d: no %s with a resume token (%v)", i, welcome, m)
				return
			}
			out[i] = &seated{droppable: d, token: token}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	return out
}

// dropAll resets every connection at once (the venue's access point
// restarts) and returns once the service has handled each $disconnect.
func (s *system) dropAll(t *testing.T, ls []*seated) {
	t.Helper()
	before := s.disconnects.Load()
	var wg sync.WaitGroup
	for _, l := range ls {
		wg.Go(l.drop)
	}
	wg.Wait()
	eventually(t, func() bool { return s.disconnects.Load() >= before+int64(len(ls)) }, "every dropped connection's $disconnect has run")
}

// heldRecords counts the held seats of a session.
func (s *system) heldRecords(t *testing.T, id string) int {
	t.Helper()
	ls, err := s.Graph.Store.Connections.Listeners(context.Background(), id, "")
	require.NoError(t, err)
	n := 0
	for _, l := range ls {
		if l.Held() {
			n++
		}
	}
	return n
}
