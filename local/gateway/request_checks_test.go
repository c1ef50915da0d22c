package gateway

import (
	"bufio"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noRedirects is an HTTP client that reports a redirect instead of following
// it, so a test sees exactly what the server answered.
var noRedirects = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// upgradeStatus sends a WebSocket upgrade request and returns the status;
// refusals are plain HTTP answers, so no WebSocket client is needed.
func upgradeStatus(t *testing.T, url string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", base64.StdEncoding.EncodeToString(make([]byte, 16)))
	resp, err := noRedirects.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// paddedURL returns base+"?action=joinSession&pad=…", padded so the URL as
// the gateway counts it ("ws://" + host + request target) is n characters.
func paddedURL(t *testing.T, s *Server, n int) string {
	t.Helper()
	base := s.URL() + "?action=joinSession&pad="
	require.Less(t, len(base), n)
	return base + strings.Repeat("p", n-len(base))
}

func TestURLLengthLimit(t *testing.T) {
	t.Run("a URL of exactly 4096 characters reaches $connect", func(t *testing.T) {
		app := newFakeApp()
		s := startServer(t, app, Options{})
		dial(t, paddedURL(t, s, 4096))
		ev := app.wait(t, routeConnect, "", 1)[0]
		assert.Equal(t, "joinSession", ev.QueryStringParameters["action"])
	})
	refused := []struct {
		name string
		url  func(s *Server) string
	}{
		{"one character more is refused with 414", func(s *Server) string { return paddedURL(t, s, 4097) }},
		{"a 100 KB parameter is refused with 414", func(s *Server) string {
			return s.URL() + "?action=joinSession&x=" + strings.Repeat("y", 100<<10)
		}},
		{"2,000 parameters in 100 KB are refused with 414", func(s *Server) string {
			return s.URL() + "?action=joinSession" + strings.Repeat("&param="+strings.Repeat("v", 44), 2000)
		}},
		{"a long path is refused like a long query", func(s *Server) string { return s.URL() + "/" + strings.Repeat("p", 5000) }},
	}
	for _, tt := range refused {
		t.Run(tt.name+" before any event", func(t *testing.T) {
			app := newFakeApp()
			s := startServer(t, app, Options{})
			url := "http" + strings.TrimPrefix(tt.url(s), "ws")
			assert.Equal(t, http.StatusRequestURITooLong, upgradeStatus(t, url))
			assert.Equal(t, 0, app.count("", ""), "no event was made")
		})
	}
	t.Run("an over-long @connections call is refused with 414 and delivers nothing", func(t *testing.T) {
		app := newFakeApp()
		s := startServer(t, app, Options{})
		c := dial(t, s.URL())
		id := app.connectID(t, 1)
		status, _, _ := manage(t, http.MethodPost, s.ManagementEndpoint()+"/@connections/"+id+"?"+strings.Repeat("q", 5000), "refused")
		assert.Equal(t, http.StatusRequestURITooLong, status)
		status, _, _ = manage(t, http.MethodPost, s.ManagementEndpoint()+"/@connections/"+id, "next")
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "next", readText(t, c))
	})
}

func TestHostileManagementPaths(t *testing.T) {
	app := newFakeApp()
	s := startServer(t, app, Options{Extra: http.NewServeMux()}) // local mode's Extra is a ServeMux
	c := dial(t, s.URL())
	id := app.connectID(t, 1)
	dial(t, s.URL())
	other := app.connectID(t, 2)

	paths := []struct{ name, path string }{
		{"a dot-dot segment", "/@connections/x/../" + id},
		{"a dot-dot segment after the stage", "/local/@connections/x/../" + id},
		{"a dot-dot segment before @connections", "/local/x/../@connections/" + id},
		{"a dot-dot segment in place of the stage", "/../@connections/" + id},
		{"a percent-encoded dot-dot segment", "/@connections/x/%2e%2e/" + id},
		{"an upper-case percent-encoded dot-dot segment", "/@connections/x/%2E%2E/" + id},
		{"a half-encoded dot-dot segment", "/@connections/x/.%2e/" + id},
		{"a dot segment", "/@connections/./" + id},
		{"an encoded dot segment", "/@connections/%2e/" + id},
		{"dots behind encoded slashes", "/@connections/x%2F..%2F" + id},
		{"a connection id walking to another", "/@connections/" + other + "/../" + id},
		{"an empty segment before the id", "/@connections//" + id},
		{"a trailing slash", "/@connections/" + id + "/"},
		{"an empty stage", "//@connections/" + id},
		{"two segments before @connections", "/a/b/@connections/" + id},
		{"@connections twice", "/@connections/" + id + "/@connections/" + id},
		{"no id", "/@connections"},
		{"@connections with an encoded double slash", "/@connections%2F%2F" + id},
	}
	for _, p := range paths {
		for _, method := range []string{http.MethodDelete, http.MethodPost, http.MethodGet} {
			t.Run(method+" with "+p.name+" is refused with 400", func(t *testing.T) {
				req, err := http.NewRequest(method, s.HTTPURL()+p.path, strings.NewReader("hostile"))
				require.NoError(t, err)
				resp, err := noRedirects.Do(req)
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "never a redirect, never acted on")
				assert.Empty(t, resp.Header.Get("Location"))
			})
		}
	}

	t.Run("both connections are untouched afterwards", func(t *testing.T) {
		assert.Equal(t, 2, s.ConnectionCount())
		assert.Equal(t, 0, app.count(routeDisconnect, ""))
		status, _, _ := manage(t, http.MethodPost, s.ManagementEndpoint()+"/@connections/"+id, "still here")
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "still here", readText(t, c), "no hostile body was delivered before this one")
	})
}

// Any request target: a path that names @connections is either a clean call
// on one connection or refused, and it is never redirected.
func FuzzManagementPath(f *testing.F) {
	for _, seed := range []string{
		"/@connections/AAAAAAAAAAAAAAA=", "/local/@connections/AAAAAAAAAAAAAAA=", "/local/%40connections/AAAAAAAAAAAAAAA%3D",
		"/@connections/x/../AAAAAAAAAAAAAAA=", "/@connections/x/%2e%2e/AAAAAAAAAAAAAAA=", "/@connections/x%2F..%2Fy",
		"/@connections//x", "//@connections/x", "/@connections/x/", "/@connections%2F%2Fx", "/./@connections/x",
		"/local", "/", "/dev/token", "/.well-known/jwks.json", "/@connections", "/a/b/c/@connections/x", "/%", "/%2e",
		"/@connections/x?y=../z", "*", "http://host/@connections/../x",
	} {
		f.Add(seed)
	}
	app := newFakeApp()
	mux := http.NewServeMux()
	mux.HandleFunc("/dev/token", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	s, err := New(app.handle, Options{Extra: mux})
	require.NoError(f, err)
	f.Cleanup(func() { require.NoError(f, s.Close()) })

	f.Fuzz(func(t *testing.T, target string) {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")))
		if err != nil {
			return // net/http refuses it before the gateway sees it
		}
		rec := httptest.NewRecorder()
		s.serveHTTP(rec, req)
		id, kind := parseManagementPath(req.URL)
		if hasConnectionsSegment(req.URL.Path) {
			assert.False(t, rec.Code >= 300 && rec.Code < 400, "%q redirected with %d", target, rec.Code)
		}
		if hasDotSegment(req.URL.Path) {
			assert.Equal(t, http.StatusBadRequest, rec.Code, "%q has dot segments", target)
		}
		if kind == connectionPath && rec.Code != http.StatusBadRequest && rec.Code != http.StatusRequestURITooLong {
			assert.NotEmpty(t, id)
			assert.True(t, strings.HasSuffix(req.URL.Path, "/"+id), "%q names %q", target, id)
			assert.False(t, hasDotSegment(id), "%q names %q", target, id)
		}
	})
}
