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

func TestARecordCarriesTheChunkAndItsHeader(t *testing.T) {
	chunk := session.AudioChunk{
		SessionID: "holy-lamb-101", SourceLanguage: "en", Sequence: 7, ReceivedAt: time.UnixMilli(1_700_000_000_123),
		SampleRate: 16000, Encoding: "pcm16", Audio: []byte{0, 1, 2, 255},
	}
	data, err := EncodeRecord(chunk)
	require.NoError(t, err)

	t.Run("the layout is version, header length, JSON header, audio", func(t *testing.T) {
		require.Equal(t, byte(1), data[0])
		n := int(binary.BigEndian.Uint16(data[1:3]))
		var header map[string]any
		require.NoError(t, json.Unmarshal(data[3:3+n], &header))
		assert.Equal(t, map[string]any{
			"sessionId": "holy-lamb-101", "sourceLanguage": "en", "sequence": 7.0, "sequenceSource": "speaker",
			"receivedAt": 1_700_000_000_123.0, "sampleRate": 16000.0, "encoding": "pcm16",
		}, header)
		assert.Equal(t, chunk.Audio, data[3+n:], "the audio follows as raw bytes")
	})
	t.Run("it decodes to what was encoded", func(t *testing.T) {
		r, err := DecodeRecord(data)
		require.NoError(t, err)
		assert.Equal(t, Header{SessionID: "holy-lamb-101", SourceLanguage: "en", Sequence: 7, SequenceSource: SequenceFromSpeaker,
			ReceivedAt: 1_700_000_000_123, SampleRate: 16000, Encoding: "pcm16"}, r.Header)
		assert.Equal(t, chunk.Audio, r.Audio)
		assert.Equal(t, chunk.ReceivedAt, r.ReceivedTime())
	})
	t.Run("a sequence the service assigned says so", func(t *testing.T) {
		chunk.SequenceAssigned = true
		data, err := EncodeRecord(chunk)
		require.NoError(t, err)
		r, err := DecodeRecord(data)
		require.NoError(t, err)
		assert.Equal(t, SequenceFromService, r.SequenceSource)
	})
}

func TestReadersIgnoreHeaderFieldsTheyDoNotKnow(t *testing.T) {
	header := []byte(`{"sessionId":"holy-lamb-101","sequence":1,"futureField":{"x":1}}`)
	data := append([]byte{1, 0, byte(len(header))}, header...)
	data = append(data, 'a')
	r, err := DecodeRecord(data)
	require.NoError(t, err)
	assert.Equal(t, "holy-lamb-101", r.SessionID)
	assert.Equal(t, []byte("a"), r.Audio)
}

func TestMalformedRecordsAreRefused(t *testing.T) {
	cases := map[string][]byte{
		"empty":                     nil,
		"shorter than the prefix":   {1, 0},
		"another version":           {2, 0, 2, '{', '}'},
		"a header beyond the data":  {1, 0, 9, '{', '}'},
		"a header that is not JSON": {1, 0, 2, 'n', 'o'},
		"a header without session":  {1, 0, 2, '{', '}'},
		"an absurd header length":   {1, 0xff, 0xff},
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeRecord(data)
			assert.ErrorIs(t, err, ErrMalformedRecord)
		})
	}
}

// FuzzDecodeRecord feeds arbitrary stream data to the decoder the loopback
// (and any Go consumer) uses: it must refuse or decode, never panic, and
// what it decodes must survive a second round.
func FuzzDecodeRecord(f *testing.F) {
	valid, err := EncodeRecord(session.AudioChunk{SessionID: "holy-lamb-101", SourceLanguage: "en", Sequence: 1, ReceivedAt: time.UnixMilli(1), Audio: []byte("pcm")})
	require.NoError(f, err)
	f.Add(valid)
	f.Add([]byte{1, 0, 2, '{', '}'})
	f.Add([]byte{1, 0xff, 0xff, 0})
	f.Add([]byte{})
	control, err := EncodeControl(session.PipelineEvent{Kind: session.PipelineLanguages, SessionID: "holy-lamb-101", StateVersion: 3, TargetLanguages: []string{"es"}})
	require.NoError(f, err)
	f.Add(control)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRecord(data)
		if err != nil {
			require.ErrorIs(t, err, ErrMalformedRecord)
			return
		}
		if r.Control != nil {
			again, err := json.Marshal(r.Control)
			require.NoError(t, err)
			back, err := DecodeRecord(append([]byte{ControlRecordVersion, byte(len(again) >> 8), byte(len(again))}, again...))
			if len(again) > maxHeaderBytes {
				return
			}
			require.NoError(t, err)
			assert.Equal(t, r.Control, back.Control)
			return
		}
		again, err := EncodeRecord(session.AudioChunk{
			SessionID: r.SessionID, SourceLanguage: r.SourceLanguage, Sequence: r.Sequence,
			SequenceAssigned: r.SequenceSource == SequenceFromService, ReceivedAt: r.ReceivedTime(),
			SampleRate: r.SampleRate, Encoding: r.Encoding, Audio: r.Audio,
		})
		if err != nil {
			return // a header that grew past the limit when re-encoded
		}
		back, err := DecodeRecord(again)
		require.NoError(t, err)
		assert.Equal(t, r.SessionID, back.SessionID)
		assert.Equal(t, r.Audio, back.Audio)
	})
}
