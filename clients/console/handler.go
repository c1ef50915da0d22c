package console

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/livecast/sessions/api"
)

//go:embed static
var static embed.FS

// AssetsPrefix is where the page's scripts, styles and QR codes are served.
const AssetsPrefix = "/console/"

// Handler serves the page at "/" and its assets under AssetsPrefix, among
// them the wire contract (asyncapi.yaml) the page links to. Mount it
// on exactly those two patterns ("GET /{$}" and "GET /console/"), so every
// other path stays with whoever serves it (WebSocket upgrades, /dev/token).
func Handler() http.Handler {
	assets, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the directory is embedded at build time: it is there
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, assets, "index.html")
	})
	mux.Handle("GET "+AssetsPrefix+"qr.svg", qrHandler())
	contract := api.Document()
	mux.HandleFunc("GET "+AssetsPrefix+"asyncapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
		_, _ = w.Write(contract)
	})
	mux.Handle("GET "+AssetsPrefix, http.StripPrefix(AssetsPrefix, http.FileServerFS(assets)))
	return securityHeaders(mux)
}

// securityHeaders keeps the page to its own origin: no inline script, no
// third-party resource, WebSockets and fetches to this host only.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}
