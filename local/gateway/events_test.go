package gateway

import (
	"encoding/json"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQueryParameters(t *testing.T) {
	tests := []struct {
		name       string
		raw        string
		wantSingle map[string]string
		wantMulti  map[string][]string
	}{
		{"no query gives no maps", "", nil, nil},
		{"repeated keys: last wins, all kept in order", "a=1&a=2&a=3",
			map[string]string{"a": "3"}, map[string][]string{"a": {"1", "2", "3"}}},
		{"empty values and bare keys are empty strings", "a=&b",
			map[string]string{"a": "", "b": ""}, map[string][]string{"a": {""}, "b": {""}}},
		{"empty names are skipped", "=x&&c=1",
			map[string]string{"c": "1"}, map[string][]string{"c": {"1"}}},
		{"percent and plus escapes are decoded", "na%20me=a+b%26c",
			map[string]string{"na me": "a b&c"}, map[string][]string{"na me": {"a b&c"}}},
		{"bad escapes are kept as written", "a=%zz&b%=1",
			map[string]string{"a": "%zz", "b%": "1"}, map[string][]string{"a": {"%zz"}, "b%": {"1"}}},
		{"invalid UTF-8 is replaced", "k%ff=v%fe",
			map[string]string{"k\uFFFD": "v\uFFFD"}, map[string][]string{"k\uFFFD": {"v\uFFFD"}}},
		{"only the first = splits", "token=a=b",
			map[string]string{"token": "a=b"}, map[string][]string{"token": {"a=b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			single, multi := queryParameters(tt.raw)
			assert.Equal(t, tt.wantSingle, single)
			assert.Equal(t, tt.wantMulti, multi)
		})
	}
}

func FuzzQueryParameters(f *testing.F) {
	for _, seed := range []string{
		"", "a=1&a=2", "a=&b", "=x", "&&&", "k%ff=%fe", "%zz=%", "a+b=c+d", "x=" + strings.Repeat("y", 10000),
		strings.Repeat("k=v&", 500), "action=createSession&token=eyJ.abc.def", "\xff\xfe=\x00", "a=%E2%82%AC",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		single, multi := queryParameters(raw)
		if len(single) != len(multi) {
			t.Fatalf("%d single keys, %d multi keys", len(single), len(multi))
		}
		for k, vs := range multi {
			if k == "" || !utf8.ValidString(k) {
				t.Fatalf("bad key %q", k)
			}
			if len(vs) == 0 || single[k] != vs[len(vs)-1] {
				t.Fatalf("key %q: single %q, multi %q", k, single[k], vs)
			}
			for _, v := range vs {
				if !utf8.ValidString(v) {
					t.Fatalf("invalid UTF-8 value %q", v)
				}
			}
		}
		// What the product receives after JSON is exactly what we built.
		b, err := json.Marshal(multi)
		if err != nil {
			t.Fatal(err)
		}
		var back map[string][]string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if len(multi) > 0 {
			assert.Equal(t, multi, back)
		}
	})
}

// The testdata events are real API Gateway events, copied from
// aws-lambda-go's events/testdata. Ours must have exactly their shape.
func TestEventsHaveTheShapeOfRealOnes(t *testing.T) {
	s := &Server{opts: Options{Stage: "prod"}}
	info := connInfo{id: newID(), domain: "h", sourceIP: "1.2.3.4", userAgent: "ua", connectedAt: time.Now()}
	for file, ev := range map[string]events.APIGatewayWebsocketProxyRequest{
		"testdata/aws-message-event.json":    s.messageEvent(info, routeDefault, "{}", false, time.Now()),
		"testdata/aws-disconnect-event.json": s.disconnectEvent(info, 1001, "", time.Now()),
	} {
		t.Run(file, func(t *testing.T) {
			want, err := os.ReadFile(file)
			require.NoError(t, err)
			ours, err := json.Marshal(ev)
			require.NoError(t, err)
			assert.Equal(t, jsonKeys(t, want), jsonKeys(t, ours))
		})
	}
}

// jsonKeys lists every object key path in a JSON document.
func jsonKeys(t *testing.T, doc []byte) []string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(doc, &v))
	var keys []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		if !ok || strings.HasSuffix(prefix, "eaders") { // header names vary per request
			return
		}
		for k, sub := range m {
			keys = append(keys, prefix+k)
			walk(prefix+k+".", sub)
		}
	}
	walk("", v)
	sort.Strings(keys)
	return keys
}
