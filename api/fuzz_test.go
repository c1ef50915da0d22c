package api

import (
	"errors"
	"net/url"
	"testing"
)

// FuzzValidate feeds arbitrary frames and queries to the validator: it must
// answer every one with nil or a FrameError, never panic.
func FuzzValidate(f *testing.F) {
	c := load(f)
	for _, frames := range examples(f) {
		for _, frame := range frames {
			f.Add(string(frame))
		}
	}
	for _, seed := range []string{``, `null`, `{}`, `{"type":1}`, `{"action":null}`, `"x"`, `{"type":"error","details":[]}`,
		"action=createSession&minStability=NaN", "action=refreshConnection&role=listener&resumeToken=%00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		var fe *FrameError
		for _, err := range []error{c.ValidateClientMessage([]byte(input)), c.ValidateServerMessage([]byte(input))} {
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("error of another kind: %v", err)
			}
		}
		if q, err := url.ParseQuery(input); err == nil {
			if err := c.ValidateConnectQuery(q); err != nil && !errors.As(err, &fe) {
				t.Fatalf("query error of another kind: %v", err)
			}
		}
	})
}
