package api

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// FrameError says why a frame broke the contract and which message of the
// document it was held to.
type FrameError struct {
	// Direction is "client message", "server message" or "connect query".
	Direction string
	// Name is the frame's own action or type ("" when it has none).
	Name string
	// Closest is the document's message (or query) the frame was checked
	// against, or the nearest one when Name matches none.
	Closest string
	// Err is the schema validation error, or what is wrong with the frame's
	// shape.
	Err error
}

func (e *FrameError) Error() string {
	switch {
	case e.Closest == "":
		return fmt.Sprintf("api: %s matches no message of the contract: %v", e.Direction, e.Err)
	case e.Name == e.Closest:
		return fmt.Sprintf("api: %s %q breaks the contract: %v", e.Direction, e.Name, e.Err)
	default:
		return fmt.Sprintf("api: %s %q matches no message of the contract (closest: %q): %v", e.Direction, e.Name, e.Closest, e.Err)
	}
}

func (e *FrameError) Unwrap() error { return e.Err }

// ValidateClientMessage checks a frame a client sends, selected by its
// "action" field.
func (c *Contract) ValidateClientMessage(frame []byte) error {
	return validateFrame("client message", "action", c.actions, frame)
}

// ValidateAudioRecordHeader checks the JSON header of an audio stream
// record (the audioStream channel's audioRecord).
func (c *Contract) ValidateAudioRecordHeader(header []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(header))
	if err != nil {
		return &FrameError{Direction: "audio record header", Err: fmt.Errorf("not JSON: %w", err)}
	}
	if err := c.audioRecordHeader.Validate(inst); err != nil {
		return &FrameError{Direction: "audio record header", Name: "audioRecord", Closest: "audioRecord", Err: err}
	}
	return nil
}

// ValidateControlRecordHeader checks the JSON header of a control record
// (the audioStream channel's controlRecord).
func (c *Contract) ValidateControlRecordHeader(header []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(header))
	if err != nil {
		return &FrameError{Direction: "control record header", Err: fmt.Errorf("not JSON: %w", err)}
	}
	if err := c.controlRecordHeader.Validate(inst); err != nil {
		return &FrameError{Direction: "control record header", Name: "controlRecord", Closest: "controlRecord", Err: err}
	}
	return nil
}

// ValidateServerMessage checks a frame the service sends, selected by its
// "type" field.
func (c *Contract) ValidateServerMessage(frame []byte) error {
	return validateFrame("server message", "type", c.types, frame)
}

func validateFrame(direction, selector string, schemas map[string]*jsonschema.Schema, frame []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(frame))
	if err != nil {
		return &FrameError{Direction: direction, Err: fmt.Errorf("not JSON: %w", err)}
	}
	obj, ok := inst.(map[string]any)
	if !ok {
		return &FrameError{Direction: direction, Err: errors.New("not a JSON object")}
	}
	name, _ := obj[selector].(string)
	if sch, ok := schemas[name]; ok {
		if err := sch.Validate(obj); err != nil {
			return &FrameError{Direction: direction, Name: name, Closest: name, Err: err}
		}
		return nil
	}
	closest := closestByName(name, schemas)
	if name == "" {
		closest = closestByShape(obj, schemas)
	}
	reason := fmt.Errorf("%s %q is not one of the contract's", selector, name)
	if name == "" {
		reason = fmt.Errorf("no %s field", selector)
	}
	return &FrameError{Direction: direction, Name: name, Closest: closest, Err: reason}
}

// closestByName picks the known name fewest edits away from name (ties: the
// alphabetically first), so a misspelt type points at what was meant.
func closestByName(name string, schemas map[string]*jsonschema.Schema) string {
	best, bestDist := "", -1
	for _, k := range sortedKeys(schemas) {
		if d := editDistance(name, k); bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

// closestByShape picks the schema the frame breaks in the fewest places, for
// a frame that does not say what it is.
func closestByShape(obj map[string]any, schemas map[string]*jsonschema.Schema) string {
	best, bestCount := "", -1
	for _, k := range sortedKeys(schemas) {
		var ve *jsonschema.ValidationError
		if err := schemas[k].Validate(obj); errors.As(err, &ve) {
			if n := leafCount(ve); bestCount < 0 || n < bestCount {
				best, bestCount = k, n
			}
		}
	}
	return best
}

func leafCount(e *jsonschema.ValidationError) int {
	if len(e.Causes) == 0 {
		return 1
	}
	n := 0
	for _, c := range e.Causes {
		n += leafCount(c)
	}
	return n
}

// editDistance is the Levenshtein distance between two short names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
