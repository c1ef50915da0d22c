package audiostream

import (
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

// controlHeader encodes ev and returns its JSON header as a map, checking
// the layout on the way.
func controlHeader(t *testing.T, ev session.PipelineEvent) map[string]any {
	t.Helper()
	data, err := EncodeControl(ev)
	require.NoError(t, err)
	require.Equal(t, byte(ControlRecordVersion), data[0])
	n := int(binary.BigEndian.Uint16(data[1:3]))
	require.Equal(t, 3+n, len(data), "nothing follows a control record's header")
	var h map[string]any
	require.NoError(t, json.Unmarshal(data[3:], &h))
	return h
}

func TestControlRecordsSayOnlyWhatTheirKindNeeds(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_123)
	t.Run("an opening carries the speaker's settings, false and zero included", func(t *testing.T) {
		h := controlHeader(t, session.PipelineEvent{Kind: session.PipelineOpened, SessionID: "holy-lamb-101", StateVersion: 1, At: at,
			SourceLanguage: "en", QualityTier: "standard", Options: session.StreamOptions{MinStability: 0.85, MaxBufferTimeout: 5}})
		assert.Equal(t, map[string]any{"kind": "sessionOpened", "sessionId": "holy-lamb-101", "stateVersion": 1.0, "at": 1_700_000_000_123.0,
			"sourceLanguage": "en", "qualityTier": "standard", "partialResults": false, "minStability": 0.85, "maxBufferTimeout": 5.0}, h)
	})
	t.Run("a language set is said even when empty", func(t *testing.T) {
		h := controlHeader(t, session.PipelineEvent{Kind: session.PipelineLanguages, SessionID: "holy-lamb-101", StateVersion: 9, At: at})
		assert.Equal(t, map[string]any{"kind": "languages", "sessionId": "holy-lamb-101", "stateVersion": 9.0, "at": 1_700_000_000_123.0,
			"targetLanguages": []any{}}, h)
	})
	t.Run("a pause says why", func(t *testing.T) {
		h := controlHeader(t, session.PipelineEvent{Kind: session.PipelinePaused, SessionID: "holy-lamb-101", StateVersion: 4, At: at, Reason: session.PauseSpeakerLost})
		assert.Equal(t, "speakerDisconnected", h["reason"])
		assert.NotContains(t, h, "targetLanguages")
	})
}

func TestControlRecordsDecodeApartFromAudio(t *testing.T) {
	data, err := EncodeControl(session.PipelineEvent{Kind: session.PipelineLanguages, SessionID: "holy-lamb-101", StateVersion: 2, TargetLanguages: []string{"de", "es"}})
	require.NoError(t, err)
	r, err := DecodeRecord(data)
	require.NoError(t, err)
	require.NotNil(t, r.Control)
	assert.Equal(t, "holy-lamb-101", r.SessionID, "queued by session like audio")
	assert.Equal(t, []string{"de", "es"}, r.Control.TargetLanguages)
	assert.Nil(t, r.Audio)

	audio, err := EncodeRecord(testChunk)
	require.NoError(t, err)
	r, err = DecodeRecord(audio)
	require.NoError(t, err)
	assert.Nil(t, r.Control)

	_, err = DecodeRecord([]byte{ControlRecordVersion, 0, 2, '{', '}'})
	assert.ErrorIs(t, err, ErrMalformedRecord, "a control record without kind")
}
