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

// The control records the service puts beside the audio have the layout and
// the header the contract documents, one of each kind.
func TestControlRecordsFollowTheContract(t *testing.T) {
	contract := api.MustLoad()
	const id = "faithful-shepherd-427"
	at := time.UnixMilli(1764300000000)
	events := map[string]session.PipelineEvent{
		"an opening with default settings": {Kind: session.PipelineOpened, SessionID: id, StateVersion: 1, At: at, SourceLanguage: "en", QualityTier: "standard"},
		"an opening with the speaker's settings": {Kind: session.PipelineOpened, SessionID: id, StateVersion: 1, At: at, SourceLanguage: "de", QualityTier: "premium",
			Options: session.StreamOptions{PartialResults: true, MinStability: 0.9, MaxBufferTimeout: 3}},
		"a language set":         {Kind: session.PipelineLanguages, SessionID: id, StateVersion: 5, At: at, TargetLanguages: []string{"es", "fr"}},
		"an empty language set":  {Kind: session.PipelineLanguages, SessionID: id, StateVersion: 6, At: at},
		"the speaker's pause":    {Kind: session.PipelinePaused, SessionID: id, StateVersion: 7, At: at, Reason: session.PauseBySpeaker},
		"a lost speaker's pause": {Kind: session.PipelinePaused, SessionID: id, StateVersion: 7, At: at, Reason: session.PauseSpeakerLost},
		"the speaker's resume":   {Kind: session.PipelineResumed, SessionID: id, StateVersion: 8, At: at, Reason: session.PauseBySpeaker},
		"a return's resume":      {Kind: session.PipelineResumed, SessionID: id, StateVersion: 8, At: at, Reason: session.ResumeSpeakerReconnects},
		"an end":                 {Kind: session.PipelineEnded, SessionID: id, StateVersion: 9, At: at, Reason: session.ReasonSpeakerEnded},
		"an expiry":              {Kind: session.PipelineEnded, SessionID: id, StateVersion: 9, At: at, Reason: session.ReasonExpired},
	}
	for name, ev := range events {
		t.Run(name, func(t *testing.T) {
			rec, err := audiostream.EncodeControl(ev)
			require.NoError(t, err)
			assert.Equal(t, byte(2), rec[0], "byte 0 says control record")
			n := int(binary.BigEndian.Uint16(rec[1:3]))
			assert.Equal(t, 3+n, len(rec), "nothing follows the header")
			assert.NoError(t, contract.ValidateControlRecordHeader(rec[3:3+n]))
		})
	}
	for name, header := range map[string]string{
		"a set without its languages": `{"kind":"languages","sessionId":"faithful-shepherd-427","stateVersion":1,"at":1}`,
		"an unknown kind":             `{"kind":"rewound","sessionId":"faithful-shepherd-427","stateVersion":1,"at":1}`,
		"a pause without its reason":  `{"kind":"paused","sessionId":"faithful-shepherd-427","stateVersion":1,"at":1}`,
	} {
		assert.Error(t, contract.ValidateControlRecordHeader([]byte(header)), name)
	}
}
