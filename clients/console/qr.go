package console

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"rsc.io/qr"
)

// maxQRText bounds what a QR code may carry: a join link is under 100 bytes,
// and the largest code at level M holds about 2 KB.
const maxQRText = 512

// qrHandler answers GET /console/qr.svg?text=... with the QR code of text as
// SVG, so the page shows the join link's code without any script or CDN.
func qrHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		text := r.URL.Query().Get("text")
		svg, err := qrSVG(text)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "private, max-age=3600")
		_, _ = w.Write([]byte(svg))
	})
}

// qrSVG renders text as a QR code (error correction M, a quiet zone of four
// modules) in SVG, one path for all dark modules.
func qrSVG(text string) (string, error) {
	switch {
	case text == "":
		return "", fmt.Errorf("text is required")
	case len(text) > maxQRText:
		return "", fmt.Errorf("text is longer than %d bytes", maxQRText)
	case !utf8.ValidString(text):
		return "", fmt.Errorf("text is not UTF-8")
	}
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return "", fmt.Errorf("encode: %w", err)
	}
	const quiet = 4
	side := code.Size + 2*quiet
	var path strings.Builder
	for y := range code.Size {
		for x := range code.Size {
			if code.Black(x, y) {
				fmt.Fprintf(&path, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img"><rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		side, side, path.String()), nil
}
