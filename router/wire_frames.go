package router

import (
	"encoding/json"
	"errors"

	"github.com/livecast/sessions/session"
)

// The frames clients send (docs/PROTOCOL.md, "Client → service"); route
// selection has already read their action. The $connect query is in
// wire_query.go, the service's messages in wire.go.

// clientMessage is every field a client action may carry.
type clientMessage struct {
	Action         string   `json:"action"`
	Control        string   `json:"control"`
	Command        string   `json:"command"`
	Value          *float64 `json:"value"`
	TargetLanguage string   `json:"targetLanguage"`
}

// audioFrame is a sendAudio frame (docs/PROTOCOL.md): the original speaker
// client sends sessionId and audioData; sequence, sampleRate and encoding
// are optional.
type audioFrame struct {
	SessionID  string `json:"sessionId"`
	AudioData  string `json:"audioData"`
	Sequence   *int64 `json:"sequence"`
	SampleRate *int   `json:"sampleRate"`
	Encoding   string `json:"encoding"`
}

// requestIDOf reads the optional requestId every action may carry (v1.2).
// A frame that is not JSON has none: its route's own decoding refuses it.
func requestIDOf(body string) (string, error) {
	var frame struct {
		RequestID *string `json:"requestId"`
	}
	err := json.Unmarshal([]byte(body), &frame)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return "", &session.Error{Code: session.CodeInvalidParameters, Field: "requestId", Message: "requestId must be a string"}
	}
	if err := checkRequestID(frame.RequestID); err != nil {
		return "", err
	}
	if frame.RequestID == nil {
		return "", nil
	}
	return *frame.RequestID, nil
}

// decodeMessage parses a client frame into msg, naming the field that has
// the wrong type.
func decodeMessage(body string, msg any) error {
	err := json.Unmarshal([]byte(body), msg)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr):
		return &session.Error{Code: session.CodeInvalidParameters, Field: typeErr.Field, Message: "Field " + typeErr.Field + " has the wrong type"}
	default:
		return &session.Error{Code: session.CodeInvalidParameters, Message: "Message is not a JSON object"}
	}
}
