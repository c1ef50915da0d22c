package gateway

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

var testRoutes = map[string]bool{"heartbeat": true, "getSessionStatus": true, "speakerControl": true}

func TestSelectRoute(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"a declared action selects its route", `{"action":"heartbeat"}`, "heartbeat"},
		{"other fields do not matter", `{"x":[1,{"action":"no"}],"action":"speakerControl","control":"mute"}`, "speakerControl"},
		{"an undeclared action goes to $default", `{"action":"createSession"}`, "$default"},
		{"a missing action goes to $default", `{"type":"heartbeat"}`, "$default"},
		{"a non-string action goes to $default", `{"action":["heartbeat"]}`, "$default"},
		{"a null action goes to $default", `{"action":null}`, "$default"},
		{"names are case-sensitive", `{"ACTION":"heartbeat"}`, "$default"},
		{"values are case-sensitive", `{"action":"Heartbeat"}`, "$default"},
		{"a reserved key cannot be selected", `{"action":"$connect"}`, "$default"},
		{"a JSON array goes to $default", `[{"action":"heartbeat"}]`, "$default"},
		{"a JSON string goes to $default", `"heartbeat"`, "$default"},
		{"non-JSON goes to $default", `heartbeat`, "$default"},
		{"an empty body goes to $default", ``, "$default"},
		{"trailing garbage goes to $default", `{"action":"heartbeat"} x`, "$default"},
		{"escaped strings are decoded", `{"action":"heart\u0062eat"}`, "heartbeat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, selectRoute([]byte(tt.body), testRoutes))
		})
	}
}

func FuzzRouteKey(f *testing.F) {
	for _, seed := range []string{
		`{"action":"heartbeat"}`, `{"action":"getSessionStatus","x":1}`, `{"action":1}`, `{"action":null}`,
		`{"action":"heartbeat","action":"nope"}`, `[]`, `null`, ``, `{`, "{\"action\":\"\xff\"}", `{"action":"$default"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := selectRoute(body, testRoutes)
		if got != routeDefault && !testRoutes[got] {
			t.Fatalf("selectRoute(%q) = %q: neither declared nor $default", body, got)
		}
	})
}
