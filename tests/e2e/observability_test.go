package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/router"
)

// A full scenario's logs and metrics, checked line by line: the logs carry
// what operators need and never a token, a full IP, an email or a raw
// connection id (docs/SPEC.md R17, R19); the metrics are valid EMF (R18).
func TestLogsAndMetricsOfAFullScenario(t *testing.T) {
	logs, metrics := &syncBuffer{}, &syncBuffer{}
	sys := startSystemWith(t, map[string]string{"LOG_LEVEL": "debug", "RATE_LIMIT_HEARTBEATS_PER_MIN": "1"}, systemOptions{logs: logs, metrics: metrics})
	sys.freshWindow(time.Minute) // the second heartbeat must hit the limit of one
	var secrets []string         // strings that must never appear in a log

	tok := sys.token(t, "alice")
	secrets = append(secrets, tok, "alice@example.com", "127.0.0.1", "203.0.113.7")
	spk := sys.dial(t, query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", tok))
	created := spk.expect("sessionCreated")
	id := created["sessionId"].(string)
	secrets = append(secrets, created["connectionId"].(string))

	l := sys.dial(t, joinQuery(id))
	joined := l.expect("sessionJoined")
	secrets = append(secrets, joined["connectionId"].(string))
	l.send(map[string]string{"action": "heartbeat"})
	l.expect("heartbeatAck")
	l.send(map[string]string{"action": "heartbeat"})
	l.skipUntil("error") // over the heartbeat limit: RATE_LIMIT_EXCEEDED
	l.sendOffContract([]byte("not json"))
	l.skipUntil("error")

	expired, err := sys.Issuer.Mint("alice", "alice@example.com", -time.Minute)
	require.NoError(t, err)
	secrets = append(secrets, expired)
	_, status, _ := sys.tryDial(t, query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", expired))
	require.Equal(t, 401, status)

	// Events as API Gateway sends them, from a public address.
	resp, _ := sys.invoke(t, apiEvent(t, "CONNECT", "$connect", "Zx9RawConnId0A=", map[string]string{"action": "joinSession", "sessionId": id, "targetLanguage": "fr"}, ""))
	require.Equal(t, 200, resp.StatusCode)
	secrets = append(secrets, "Zx9RawConnId0A=")
	ev, err := router.NewBroadcastEvent(id, "es", json.RawMessage(fmt.Sprintf(`{"type":"audioData","timestamp":1764300000000,"sessionId":%q,"targetLanguage":"es","audioData":"aG9sYQ==","sequence":1}`, id)))
	require.NoError(t, err)
	_, err = sys.Invoke(t.Context(), ev)
	require.NoError(t, err)
	sys.sweep(t)
	spk.close()
	l.skipUntil("sessionEnded")

	// A 5xx: the database loses a table under the service.
	dropTable(t, sys, sys.cfg.Tables.Sessions)
	_, status, _ = sys.tryDial(t, joinQuery(id))
	require.Equal(t, 503, status)
	sys.settle(t) // asynchronous welcomes and disconnects finish logging

	t.Run("log lines are JSON with level, message and context", func(t *testing.T) {
		var sawCause, sawCorrelation, sawTruncatedIP bool
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var entry map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &entry), line)
			assert.NotEmpty(t, entry["level"], line)
			assert.NotEmpty(t, entry["msg"], line)
			if entry["operation"] == "connect" && entry["errorCode"] == "SERVICE_UNAVAILABLE" {
				sawCause = entry["cause"] != nil
			}
			if entry["correlationId"] == id {
				sawCorrelation = true
			}
			if entry["sourceIp"] == "203.0.113.0/24" {
				sawTruncatedIP = true
			}
			if _, ok := entry["durationMs"]; entry["operation"] == "heartbeat" && !ok {
				t.Errorf("heartbeat line without duration: %s", line)
			}
		}
		assert.True(t, sawCause, "5xx lines carry the cause chain")
		assert.True(t, sawCorrelation, "lines carry the session id as correlation id")
		assert.True(t, sawTruncatedIP, "source IPs appear truncated to /24")
	})
	t.Run("logs never contain secrets", func(t *testing.T) {
		out := logs.String()
		require.NotEmpty(t, out)
		for _, s := range secrets {
			assert.NotContains(t, out, s)
		}
		assert.NotContains(t, out, "eyJ", "nothing that looks like a JWT")
		assert.NotContains(t, out, "@example.com")
	})
	t.Run("metrics are valid EMF with every metric of R18", func(t *testing.T) {
		seen := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(metrics.String()), "\n") {
			for _, name := range checkEMF(t, line) {
				seen[name] = true
			}
		}
		for _, name := range []string{router.MetricSessionCreationLatency, router.MetricListenerJoinLatency, router.MetricHeartbeatLatency,
			router.MetricActiveSessions, router.MetricTotalListeners, router.MetricConnectionErrors, router.MetricRateLimitExceeded} {
			assert.True(t, seen[name], "metric %s emitted", name)
		}
		assert.Contains(t, metrics.String(), `"ErrorCode":"UNAUTHORIZED"`)
	})
}

// checkEMF validates one line against the Embedded Metric Format
// specification and returns the metric names it defines.
func checkEMF(t *testing.T, line string) []string {
	t.Helper()
	var root map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &root), line)
	meta, ok := root["_aws"].(map[string]any)
	require.True(t, ok, "_aws object: %s", line)
	ts, ok := meta["Timestamp"].(float64)
	require.True(t, ok, "Timestamp number: %s", line)
	assert.InDelta(t, float64(time.Now().UnixMilli()), ts, float64(24*time.Hour/time.Millisecond), "Timestamp in ms since epoch")
	directives, ok := meta["CloudWatchMetrics"].([]any)
	require.True(t, ok && len(directives) > 0, "CloudWatchMetrics array: %s", line)
	units := map[string]bool{"Milliseconds": true, "Count": true, "Seconds": true, "Microseconds": true, "None": true}
	var names []string
	for _, d := range directives {
		dir := d.(map[string]any)
		ns, _ := dir["Namespace"].(string)
		assert.NotEmpty(t, ns, "Namespace")
		dimSets, ok := dir["Dimensions"].([]any)
		require.True(t, ok, "Dimensions array: %s", line)
		for _, set := range dimSets {
			keys := set.([]any)
			assert.LessOrEqual(t, len(keys), 30)
			for _, k := range keys {
				_, isString := root[k.(string)].(string)
				assert.True(t, isString, "dimension %v is a string member of the root: %s", k, line)
			}
		}
		defs, ok := dir["Metrics"].([]any)
		require.True(t, ok && len(defs) > 0 && len(defs) <= 100, "Metrics array: %s", line)
		for _, m := range defs {
			def := m.(map[string]any)
			name, _ := def["Name"].(string)
			require.NotEmpty(t, name)
			if u, present := def["Unit"]; present {
				assert.True(t, units[u.(string)], "unit %v", u)
			}
			_, isNumber := root[name].(float64)
			assert.True(t, isNumber, "metric %s has a numeric value: %s", name, line)
			names = append(names, name)
		}
	}
	return names
}
