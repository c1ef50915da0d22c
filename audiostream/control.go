package audiostream

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/livecast/sessions/session"
)

// ControlRecordVersion is byte 0 of a control record: what the pipeline is
// told about a session besides its audio (session.PipelineEvent).
//
// Layout, control record version 1 (byte 0 = 2, so that a reader of audio
// records, which skips records of a version it does not know, skips these):
//
//	byte 0        2
//	bytes 1–2     header length N, unsigned big-endian
//	bytes 3…3+N   header: one JSON object, UTF-8 (Control)
//	nothing after the header
//
// The partition key is the session id, as for audio, so a session's control
// and audio records are read in the order they were put. Readers ignore
// fields and kinds they do not know; a new field or kind does not change
// the version, a new layout does.
const ControlRecordVersion = 2

// Control is the header of a control record. Which fields are set depends on
// Kind (session.PipelineOpened, PipelineLanguages, PipelinePaused,
// PipelineResumed, PipelineEnded).
type Control struct {
	Kind      string `json:"kind"`
	SessionID string `json:"sessionId"`
	// StateVersion orders a session's control records (protocol v1.2
	// stateVersion): records put by different function instances can land
	// out of order, so a reader applies a languages record only if its
	// version is at least that of the last one it applied.
	StateVersion int64 `json:"stateVersion"`
	At           int64 `json:"at"` // Unix ms when the service published it
	// sessionOpened
	SourceLanguage   string   `json:"sourceLanguage,omitempty"`
	QualityTier      string   `json:"qualityTier,omitempty"`
	PartialResults   *bool    `json:"partialResults,omitempty"`
	MinStability     *float64 `json:"minStability,omitempty"`
	MaxBufferTimeout *float64 `json:"maxBufferTimeout,omitempty"`
	// languages: every target language with at least one listener, sorted;
	// present (possibly empty) on every languages record.
	TargetLanguages []string `json:"targetLanguages,omitzero"`
	// paused, resumed, ended
	Reason string `json:"reason,omitempty"`
}

// EncodeControl renders ev in the control record format.
func EncodeControl(ev session.PipelineEvent) ([]byte, error) {
	c := Control{Kind: ev.Kind, SessionID: ev.SessionID, StateVersion: ev.StateVersion, At: ev.At.UnixMilli(), Reason: ev.Reason}
	switch ev.Kind {
	case session.PipelineOpened:
		o := ev.Options
		c.SourceLanguage, c.QualityTier = ev.SourceLanguage, ev.QualityTier
		c.PartialResults, c.MinStability, c.MaxBufferTimeout = &o.PartialResults, &o.MinStability, &o.MaxBufferTimeout
	case session.PipelineLanguages:
		// Never nil, so that "no languages" is said as [] (omitzero keeps it).
		c.TargetLanguages = append([]string{}, ev.TargetLanguages...)
	}
	header, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("audiostream: encode control: %w", err)
	}
	return frame(ControlRecordVersion, header, nil)
}

// frame lays out a record: version, header length, header, body.
func frame(version byte, header, body []byte) ([]byte, error) {
	if len(header) > maxHeaderBytes {
		return nil, fmt.Errorf("audiostream: header of %d bytes exceeds %d", len(header), maxHeaderBytes)
	}
	out := make([]byte, headerOffset, headerOffset+len(header)+len(body))
	out[0] = version
	binary.BigEndian.PutUint16(out[1:headerOffset], uint16(len(header)))
	out = append(out, header...)
	return append(out, body...), nil
}

var _ session.PipelineEvents = (*Stream)(nil)

// Publish puts one control record with the session id as partition key,
// with Put's retries; what still fails wraps session.ErrUnavailable.
func (s *Stream) Publish(ctx context.Context, ev session.PipelineEvent) error {
	data, err := EncodeControl(ev)
	if err != nil {
		return err
	}
	in := &kinesis.PutRecordInput{StreamName: aws.String(s.name), PartitionKey: aws.String(ev.SessionID), Data: data}
	return s.put(ctx, in, "put control record")
}
