package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// client is a WebSocket client that tallies what it receives instead of
// queueing it: hundreds of them run at once and the speakers receive one
// listenerCount per join.
type client struct {
	conn *websocket.Conn

	mu        sync.Mutex
	counts    map[string]int // messages received, by type
	first     string         // type of the first message
	connID    string         // from sessionCreated / sessionJoined
	sessionID string
	resume    string   // the latest resumeToken (listeners, docs/PROTOCOL.md v1.1)
	maxTotal  int      // highest listenerCount total seen (speakers)
	errCodes  []string // codes of error messages
	changed   chan struct{}

	done   chan struct{}
	status websocket.StatusCode // close status once done
}

// refusal is a $connect the service refused.
type refusal struct {
	Status int
	Code   string
}

func (r refusal) Error() string { return fmt.Sprintf("refused with %d %s", r.Status, r.Code) }

// dial connects to the local gateway with a query; a refused upgrade is a
// refusal error.
func dial(ctx context.Context, wsURL string, q url.Values) (*client, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, wsURL+"?"+q.Encode(), &websocket.DialOptions{HTTPClient: dialClient})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			var body struct {
				Code string `json:"code"`
			}
			raw, _ := io.ReadAll(resp.Body)
			_ = json.Unmarshal(raw, &body)
			return nil, refusal{Status: resp.StatusCode, Code: body.Code}
		}
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	c := &client{conn: conn, counts: map[string]int{}, changed: make(chan struct{}), done: make(chan struct{})}
	go c.read()
	return c, nil
}

// dialClient keeps the upgrade requests off http.DefaultClient's small idle
// pool; each upgrade takes its own connection anyway.
var dialClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: -1, DisableKeepAlives: true}}

type inbound struct {
	Type         string `json:"type"`
	SessionID    string `json:"sessionId"`
	ConnectionID string `json:"connectionId"`
	Total        int    `json:"total"`
	Code         string `json:"code"`
	ResumeToken  string `json:"resumeToken"`
}

func (c *client) read() {
	defer close(c.done)
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			c.status = websocket.CloseStatus(err)
			c.notifyLocked()
			c.mu.Unlock()
			return
		}
		var m inbound
		_ = json.Unmarshal(data, &m)
		c.mu.Lock()
		if c.first == "" {
			c.first = m.Type
		}
		c.counts[m.Type]++
		switch m.Type {
		case "sessionCreated", "sessionJoined":
			c.connID, c.sessionID = m.ConnectionID, m.SessionID
			c.resume = m.ResumeToken
		case "connectionRefreshComplete":
			c.resume = m.ResumeToken
		case "listenerCount":
			c.maxTotal = max(c.maxTotal, m.Total)
		case "error":
			c.errCodes = append(c.errCodes, m.Code)
		}
		c.notifyLocked()
		c.mu.Unlock()
	}
}

func (c *client) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// waitFor waits until cond holds over the client's tallies.
func (c *client) waitFor(timeout time.Duration, what string, cond func(c *client) bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ok, ch := cond(c), c.changed
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-deadline.C:
			return fmt.Errorf("no %s within %v", what, timeout)
		}
	}
}

// waitCount waits until n messages of typ arrived.
func (c *client) waitCount(typ string, n int, timeout time.Duration) error {
	return c.waitFor(timeout, fmt.Sprintf("%d×%s", n, typ), func(c *client) bool { return c.counts[typ] >= n })
}

// resumeToken is the single-use token of the client's latest listener
// welcome.
func (c *client) resumeToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.resume
}

func (c *client) count(typ string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[typ]
}

func (c *client) send(ctx context.Context, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return c.conn.Write(ctx, websocket.MessageText, data)
}

// close closes with 1000, as the original clients do when they leave or
// hand over to a refreshed connection.
func (c *client) close() { _ = c.conn.Close(websocket.StatusNormalClosure, "bye") }

// closed waits until the connection has ended and returns its close status.
func (c *client) closed(timeout time.Duration) (websocket.StatusCode, error) {
	select {
	case <-c.done:
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.status, nil
	case <-time.After(timeout):
		return 0, fmt.Errorf("still open after %v", timeout)
	}
}

func query(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return q
}
