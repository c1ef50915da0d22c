package api

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
)

// Purposes of a $connect query, named as the document's query schemas.
const (
	QueryCreateSession   = "createSessionQuery"
	QueryJoinSession     = "joinSessionQuery"
	QuerySpeakerRefresh  = "speakerRefreshQuery"
	QueryListenerRefresh = "listenerRefreshQuery"
)

// ValidateConnectQuery checks the query string of a WebSocket upgrade
// against the purpose its action (and role) select.
func (c *Contract) ValidateConnectQuery(q url.Values) error {
	const direction = "connect query"
	purpose := purposeOf(q.Get("action"), q.Get("role"))
	obj := make(map[string]any, len(q))
	for name, vals := range q {
		if len(vals) != 1 {
			return &FrameError{Direction: direction, Name: purpose, Closest: purpose, Err: fmt.Errorf("parameter %s appears %d times", name, len(vals))}
		}
		obj[name] = decodeQueryValue(c.queryTypes[name], vals[0])
	}
	sch, ok := c.queries[purpose]
	if !ok {
		return &FrameError{Direction: direction, Name: q.Get("action"), Closest: closestByShape(obj, c.queries),
			Err: fmt.Errorf("action %q with role %q is no purpose of the contract", q.Get("action"), q.Get("role"))}
	}
	if err := sch.Validate(obj); err != nil {
		return &FrameError{Direction: direction, Name: purpose, Closest: purpose, Err: err}
	}
	return nil
}

func purposeOf(action, role string) string {
	switch {
	case action == "createSession":
		return QueryCreateSession
	case action == "joinSession":
		return QueryJoinSession
	case action == "refreshConnection" && role == "speaker":
		return QuerySpeakerRefresh
	case action == "refreshConnection" && role == "listener":
		return QueryListenerRefresh
	}
	return ""
}

// decodeQueryValue turns a query string into the JSON value its declared type
// asks for; a value that does not parse stays a string, so the schema's type
// check names it.
func decodeQueryValue(declared, v string) any {
	switch declared {
	case "boolean":
		if v == "true" || v == "false" {
			return v == "true"
		}
	case "number", "integer":
		// Inf and NaN parse but are not JSON numbers: leave them to fail as strings.
		if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	}
	return v
}
