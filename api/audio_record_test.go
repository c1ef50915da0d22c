package api_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/api"
	"github.com/livecast/sessions/audiostream"
	"github.com/livecast/sessions/session"
)

// The records the service puts on the audio stream have the layout and the
// header the contract documents for the translation pipeline.
func TestAudioRecordsFollowTheContract(t *testing.T) {
	contract := api.MustLoad()
	chunks := map[string]session.AudioChunk{
		"a speaker-numbered chunk with its format": {SessionID: "faithful-shepherd-427", SourceLanguage: "en", Sequence: 12,
			ReceivedAt: time.UnixMilli(1764300000000), SampleRate: 16000, Encoding: "pcm16", Audio: []byte{0, 1, 2, 3}},
		"a service-numbered chunk without one": {SessionID: "faithful-shepherd-427", SourceLanguage: "es", Sequence: 1, SequenceAssigned: true,
			ReceivedAt: time.UnixMilli(1764300000000), Audio: []byte("x")},
	}
	for name, chunk := range chunks {
		t.Run(name, func(t *testing.T) {
			rec, err := audiostream.EncodeRecord(chunk)
			require.NoError(t, err)
			require.Greater(t, len(rec), 3)
			assert.Equal(t, byte(1), rec[0], "byte 0 is the format version")
			n := int(binary.BigEndian.Uint16(rec[1:3]))
			require.LessOrEqual(t, 3+n, len(rec))
			assert.NoError(t, contract.ValidateAudioRecordHeader(rec[3:3+n]))
			assert.Equal(t, chunk.Audio, rec[3+n:], "the rest is the audio")
		})
	}
	assert.Error(t, contract.ValidateAudioRecordHeader([]byte(`{"sessionId":"faithful-shepherd-427","sourceLanguage":"en","sequence":-1,"sequenceSource":"x","receivedAt":1}`)))
}
