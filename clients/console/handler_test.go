package console

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheHandlerServesThePageAndItsAssets(t *testing.T) {
	h := Handler()
	cases := []struct {
		name, method, path string
		wantStatus         int
		wantType, wantBody string
	}{
		{"the page is served at /", "GET", "/", 200, "text/html", "<main id=\"main\">"},
		{"the page is served for a join link", "GET", "/?session=faithful-shepherd-427", 200, "text/html", "listener-view"},
		{"the library's bundle is served", "GET", "/console/sessions.browser.js", 200, "text/javascript", "ListenerClient"},
		{"the capture worklet is served", "GET", "/console/capture-worklet.js", 200, "text/javascript", "registerProcessor"},
		{"the styles are served", "GET", "/console/style.css", 200, "text/css", ":root"},
		{"a QR code is drawn for a link", "GET", "/console/qr.svg?text=" + url.QueryEscape("http://127.0.0.1:8080/?session=faithful-shepherd-427"), 200, "image/svg+xml", "<svg"},
		{"a QR code needs its text", "GET", "/console/qr.svg", 400, "text/plain", "text is required"},
		{"a QR code of more than a link is refused", "GET", "/console/qr.svg?text=" + strings.Repeat("a", maxQRText+1), 400, "text/plain", "longer than"},
		{"the contract is served", "GET", "/console/asyncapi.yaml", 200, "application/yaml", "asyncapi: 3.0.0"},
		{"a missing asset is not found", "GET", "/console/nothing.js", 404, "text/plain", ""},
		{"the page is not posted to", "POST", "/", 405, "text/plain", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			assert.Equal(t, tc.wantStatus, rec.Code)
			assert.Contains(t, rec.Header().Get("Content-Type"), tc.wantType)
			assert.Contains(t, rec.Body.String(), tc.wantBody)
			assert.Contains(t, rec.Header().Get("Content-Security-Policy"), "default-src 'self'")
		})
	}
}

func TestEveryAssetThePageNamesIsEmbedded(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/console/app.js", "/console/speaker.js", "/console/listener.js", "/console/audio.js",
		"/console/languages.js", "/console/page.js"} {
		t.Run(path+" is there", func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			require.Equal(t, http.StatusOK, rec.Code)
		})
	}
}

func TestQRCodesAreDeterministicSquares(t *testing.T) {
	a, err := qrSVG("http://127.0.0.1:8080/?session=faithful-shepherd-427")
	require.NoError(t, err)
	b, err := qrSVG("http://127.0.0.1:8080/?session=faithful-shepherd-427")
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.Contains(t, a, `viewBox="0 0 41 41"`, "a 51-byte link at level M needs version 4 (33 modules), plus a quiet zone of 4 on each side")
}

// FuzzQRText: whatever text arrives in the query, the handler answers with an
// SVG or a 400, never a panic.
func FuzzQRText(f *testing.F) {
	for _, seed := range []string{"", "x", "http://127.0.0.1:8080/?session=faithful-shepherd-427", strings.Repeat("9", 600), "\xff\xfe", "ünïcödé"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		svg, err := qrSVG(text)
		if err == nil && !strings.HasPrefix(svg, "<svg") {
			t.Fatalf("not an SVG: %.40q", svg)
		}
	})
}
