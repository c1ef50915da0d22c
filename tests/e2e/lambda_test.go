package e2e

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/local/lambdaruntime"
)

// The real binary in Lambda mode: it detects the runtime, builds its clients
// once and serves events through the router.
func TestBinaryServesLambdaInvocations(t *testing.T) {
	sys := startSystem(t, nil) // provides the tables and a live session
	_, id := sys.speaker(t, "owner")

	bin := filepath.Join(t.TempDir(), "bootstrap")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = "../.." // the repository root: the main package
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))

	rt := lambdaruntime.New("arn:aws:lambda:us-east-1:123456789012:function:sessions-test")
	api := httptest.NewServer(rt)
	t.Cleanup(api.Close)

	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(api.URL, "http://"),
		"AWS_LAMBDA_FUNCTION_NAME=sessions-test",
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_ENDPOINT_URL_DYNAMODB="+dynamoEndpoint,
		"USER_POOL_ID=us-east-1_test", "CLIENT_ID=test-client",
		"WEBSOCKET_ENDPOINT="+sys.Gateway.ManagementEndpoint(),
		"SESSIONS_TABLE="+sys.cfg.Tables.Sessions, "CONNECTIONS_TABLE="+sys.cfg.Tables.Connections, "RATE_LIMITS_TABLE="+sys.cfg.Tables.RateLimits,
		"LOG_LEVEL=error",
	)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	start := time.Now()
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	t.Run("a listener join for an unknown session is refused with 404", func(t *testing.T) {
		resp, fnErr := invoke(t, rt, apiEvent(t, "CONNECT", "$connect", "lambda-conn-0", map[string]string{"action": "joinSession", "sessionId": "holy-lamb-101", "targetLanguage": "es"}, ""))
		t.Logf("cold start: process start to first event answered: %v", time.Since(start))
		require.Empty(t, fnErr)
		var r struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		require.NoError(t, json.Unmarshal(resp, &r))
		assert.Equal(t, 404, r.StatusCode)
		assert.Contains(t, r.Body, "SESSION_NOT_FOUND")
	})
	t.Run("a join for a live session is admitted and counted", func(t *testing.T) {
		resp, fnErr := invoke(t, rt, apiEvent(t, "CONNECT", "$connect", "lambda-conn-1", map[string]string{"action": "joinSession", "sessionId": id, "targetLanguage": "es"}, ""))
		require.Empty(t, fnErr)
		assert.Equal(t, 200, statusOf(t, resp))
		assert.Equal(t, 1, sys.session(t, id).Count)
		resp, fnErr = invoke(t, rt, apiEvent(t, "DISCONNECT", "$disconnect", "lambda-conn-1", nil, ""))
		require.Empty(t, fnErr)
		assert.Equal(t, 200, statusOf(t, resp))
		assert.Equal(t, 0, sys.session(t, id).Count)
	})
	t.Run("unknown events fail the invocation", func(t *testing.T) {
		_, fnErr := invoke(t, rt, []byte(`{"hello":"world"}`))
		assert.Contains(t, string(fnErr), "unknown event")
	})
}

func TestBinaryRefusesToStartWithBadConfiguration(t *testing.T) {
	cmd := exec.Command("go", "run", ".")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API=127.0.0.1:1", "MAX_LISTENERS_PER_SESSION=many")
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "MAX_LISTENERS_PER_SESSION")
}

func statusOf(t *testing.T, resp []byte) int {
	t.Helper()
	var r struct {
		StatusCode int `json:"statusCode"`
	}
	require.NoError(t, json.Unmarshal(resp, &r))
	return r.StatusCode
}

func invoke(t *testing.T, rt *lambdaruntime.API, event []byte) (response, fnErr []byte) {
	t.Helper()
	response, fnErr, err := rt.Invoke(event, 30*time.Second)
	require.NoError(t, err)
	return response, fnErr
}
