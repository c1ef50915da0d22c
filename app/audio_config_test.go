package app

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAudioConfigDefaults(t *testing.T) {
	c, err := FromEnv(env(nil))
	require.NoError(t, err)
	assert.Equal(t, "Audio", c.AudioStreamName)
	assert.Equal(t, 50, c.Audio.ChunksPerSecond)
	assert.Equal(t, 8*time.Second, c.Audio.SessionCacheFor)
	assert.Equal(t, 2*time.Second, c.Session.AudienceCacheFor)
}

func TestAudioConfigIsReadFromTheEnvironment(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"AUDIO_STREAM_NAME": "dev-audio", "AUDIO_CHUNKS_PER_SECOND": "20", "AUDIO_SESSION_CACHE_SECONDS": "2.5",
		"BROADCAST_AUDIENCE_CACHE_SECONDS": "0.5"}))
	require.NoError(t, err)
	assert.Equal(t, "dev-audio", c.AudioStreamName)
	assert.Equal(t, 20, c.Audio.ChunksPerSecond)
	assert.Equal(t, 2500*time.Millisecond, c.Audio.SessionCacheFor)
	assert.Equal(t, 500*time.Millisecond, c.Session.AudienceCacheFor)
}

func TestInvalidAudioConfigNamesTheVariable(t *testing.T) {
	for name, value := range map[string]string{
		"AUDIO_STREAM_NAME":                "no spaces allowed",
		"AUDIO_CHUNKS_PER_SECOND":          "0",
		"AUDIO_SESSION_CACHE_SECONDS":      "-1",
		"BROADCAST_AUDIENCE_CACHE_SECONDS": "-1",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := FromEnv(env(map[string]string{name: value}))
			require.Error(t, err)
			assert.Contains(t, err.Error(), name)
		})
	}
}
