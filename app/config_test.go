package app

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(kv map[string]string) Lookup {
	return func(name string) (string, bool) { v, ok := kv[name]; return v, ok }
}

func TestConfigDefaults(t *testing.T) {
	c, err := FromEnv(env(nil))
	require.NoError(t, err)
	assert.Equal(t, 500, c.Session.MaxListenersPerSession)
	assert.Equal(t, 2*time.Hour, c.Session.SessionMaxDuration)
	assert.Equal(t, 100*time.Minute, c.Session.RefreshAfter)
	assert.Equal(t, 105*time.Minute, c.Session.WarningAfter)
	assert.Equal(t, 90*time.Second, c.Session.HeartbeatTimeout)
	assert.Equal(t, 2, c.Session.HeartbeatsPerMinute)
	assert.Equal(t, 20, c.Session.MaxHeldSeatsPerAddress)
	assert.Equal(t, slog.LevelInfo, c.LogLevel)
	assert.Equal(t, "Sessions", c.Tables.Sessions)
	assert.Equal(t, 128, c.Session.BroadcastPageSize)
}

func TestHeldSeatBoundIsRead(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"MAX_HELD_SEATS_PER_ADDRESS": "5"}))
	require.NoError(t, err)
	assert.Equal(t, 5, c.Session.MaxHeldSeatsPerAddress)
}

func TestConfigAcceptsDecimalDurations(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"CONNECTION_REFRESH_MINUTES": "0.05", "HEARTBEAT_TIMEOUT_SECONDS": "1.5", "HEARTBEAT_INTERVAL_SECONDS": "0.5", "LOG_LEVEL": "debug"}))
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, c.Session.RefreshAfter)
	assert.Equal(t, 1500*time.Millisecond, c.Session.HeartbeatTimeout)
	assert.Equal(t, slog.LevelDebug, c.LogLevel)
}

func TestInvalidConfigNamesTheVariable(t *testing.T) {
	for name, value := range map[string]string{
		"MAX_LISTENERS_PER_SESSION":              "lots",
		"SESSION_MAX_DURATION_HOURS":             "-1",
		"CONNECTION_MAX_DURATION_HOURS":          "NaN",
		"CONNECTION_REFRESH_MINUTES":             "0",
		"HEARTBEAT_INTERVAL_SECONDS":             "1e9",
		"RATE_LIMIT_SESSIONS_PER_HOUR":           "2.5",
		"RATE_LIMIT_LISTENER_JOINS_PER_MIN":      "0",
		"RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN": "-3",
		"RATE_LIMIT_HEARTBEATS_PER_MIN":          "x",
		"MAX_HELD_SEATS_PER_ADDRESS":             "0",
		"LOG_LEVEL":                              "chatty",
		"BROADCAST_PAGE_SIZE":                    "0",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := FromEnv(env(map[string]string{name: value}))
			require.Error(t, err)
			assert.Contains(t, err.Error(), name)
		})
	}
	t.Run("no connection may send more audio than one Kinesis shard takes", func(t *testing.T) {
		for name, value := range map[string]string{"AUDIO_BYTES_PER_SECOND": "1000001", "AUDIO_CHUNKS_PER_SECOND": "1001"} {
			_, err := FromEnv(env(map[string]string{name: value}))
			require.Error(t, err)
			assert.Contains(t, err.Error(), name)
		}
		_, err := FromEnv(env(map[string]string{"AUDIO_CHUNKS_PER_SECOND": "1001"}))
		assert.ErrorContains(t, err, "shard")
		_, err = FromEnv(env(map[string]string{"AUDIO_BYTES_PER_SECOND": "1000"}))
		assert.ErrorContains(t, err, "at least one chunk")
		c, err := FromEnv(env(map[string]string{"AUDIO_BYTES_PER_SECOND": "1000000"}))
		require.NoError(t, err)
		assert.Equal(t, 1_000_000, c.Audio.BytesPerSecond)
	})
	t.Run("a page must fit one asynchronous Lambda event", func(t *testing.T) {
		_, err := FromEnv(env(map[string]string{"BROADCAST_PAGE_SIZE": "1001"}))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "BROADCAST_PAGE_SIZE")
		c, err := FromEnv(env(map[string]string{"BROADCAST_PAGE_SIZE": "1000"}))
		require.NoError(t, err)
		assert.Equal(t, 1000, c.Session.BroadcastPageSize)
	})
	t.Run("refresh must come before the connection wall", func(t *testing.T) {
		_, err := FromEnv(env(map[string]string{"CONNECTION_REFRESH_MINUTES": "130"}))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "CONNECTION_REFRESH_MINUTES")
	})
}
