package audiostream

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/livecast/sessions/session"
)

// RecordVersion is the format version in the first byte of every record.
//
// Record layout, version 1 (the contract with the translation pipeline):
//
//	byte 0        format version: 1
//	bytes 1–2     header length N, unsigned big-endian
//	bytes 3…3+N   header: one JSON object, UTF-8 (Header)
//	bytes 3+N…    the audio, exactly the bytes the speaker sent (base64-decoded)
//
// The partition key is the session id, so one session's records stay in
// order on one shard. Delivery is at least once: a put retried after a
// timed-out attempt that had landed appears twice, with the same sequence.
// The audio travels as raw bytes rather than base64 in JSON: a third fewer
// bytes, and Kinesis bills by the 25 KB payload unit. Readers must ignore
// header fields they do not know; a new field does not change the version,
// a new layout does. Control records (control.go) share the stream and the
// partition key, with 2 in byte 0.
const RecordVersion = 1

// headerOffset is where the header starts: after the version and length.
const headerOffset = 3

// maxHeaderBytes bounds the header a reader accepts (it is ~200 bytes).
const maxHeaderBytes = 4 << 10

// Header describes one chunk.
type Header struct {
	SessionID      string `json:"sessionId"`
	SourceLanguage string `json:"sourceLanguage"`
	// Sequence orders a session's chunks: the speaker's own number
	// (SequenceSource "speaker") or one the service assigned ("service",
	// counting from 1 per connection and function instance). The stream's
	// order per partition key is the arrival order.
	Sequence       int64  `json:"sequence"`
	SequenceSource string `json:"sequenceSource"`
	ReceivedAt     int64  `json:"receivedAt"` // Unix ms when API Gateway received the frame
	SampleRate     int    `json:"sampleRate,omitempty"`
	Encoding       string `json:"encoding,omitempty"`
}

// Sources of Header.Sequence.
const (
	SequenceFromSpeaker = "speaker"
	SequenceFromService = "service"
)

// Record is one decoded stream record: a chunk of audio, or a control
// record (Control set, and of Header only SessionID).
type Record struct {
	Header
	Audio   []byte
	Control *Control
}

// ErrMalformedRecord is returned for data that is not a version-1 record.
var ErrMalformedRecord = errors.New("audiostream: malformed record")

// EncodeRecord renders chunk in the stream's record format.
func EncodeRecord(chunk session.AudioChunk) ([]byte, error) {
	h := Header{
		SessionID: chunk.SessionID, SourceLanguage: chunk.SourceLanguage,
		Sequence: chunk.Sequence, SequenceSource: SequenceFromSpeaker,
		ReceivedAt: chunk.ReceivedAt.UnixMilli(), SampleRate: chunk.SampleRate, Encoding: chunk.Encoding,
	}
	if chunk.SequenceAssigned {
		h.SequenceSource = SequenceFromService
	}
	header, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("audiostream: encode header: %w", err)
	}
	return frame(RecordVersion, header, chunk.Audio)
}

// DecodeRecord parses one record, audio or control (Record.Control); the
// audio aliases data.
func DecodeRecord(data []byte) (Record, error) {
	if len(data) < headerOffset {
		return Record{}, fmt.Errorf("%w: %d bytes", ErrMalformedRecord, len(data))
	}
	if data[0] != RecordVersion && data[0] != ControlRecordVersion {
		return Record{}, fmt.Errorf("%w: version %d", ErrMalformedRecord, data[0])
	}
	n := int(binary.BigEndian.Uint16(data[1:headerOffset]))
	if n > maxHeaderBytes || headerOffset+n > len(data) {
		return Record{}, fmt.Errorf("%w: header length %d", ErrMalformedRecord, n)
	}
	header := data[headerOffset : headerOffset+n]
	var r Record
	if data[0] == ControlRecordVersion {
		var c Control
		if err := json.Unmarshal(header, &c); err != nil {
			return Record{}, fmt.Errorf("%w: control header: %w", ErrMalformedRecord, err)
		}
		if c.Kind == "" {
			return Record{}, fmt.Errorf("%w: control without kind", ErrMalformedRecord)
		}
		r.Control, r.SessionID = &c, c.SessionID
	} else if err := json.Unmarshal(header, &r.Header); err != nil {
		return Record{}, fmt.Errorf("%w: header: %w", ErrMalformedRecord, err)
	} else {
		r.Audio = data[headerOffset+n:]
	}
	if r.SessionID == "" {
		return Record{}, fmt.Errorf("%w: no sessionId", ErrMalformedRecord)
	}
	return r, nil
}

// ReceivedTime is the header's receive time as a time.Time.
func (h Header) ReceivedTime() time.Time { return time.UnixMilli(h.ReceivedAt) }
