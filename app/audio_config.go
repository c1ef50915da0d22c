package app

import "regexp"

// streamNamePattern is Kinesis's rule for stream names.
var streamNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,128}$`)

func (r *reader) streamName(name, def string) string {
	v, ok := r.raw(name)
	if !ok {
		return def
	}
	if !streamNamePattern.MatchString(v) {
		r.fail(name, v, "a Kinesis stream name (letters, digits, _ . -, at most 128)")
		return def
	}
	return v
}
