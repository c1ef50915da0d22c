package auth

import (
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"
)

// Limits of TokenHandler's ttlSeconds.
const (
	defaultMintTTL = time.Hour
	maxMintTTL     = 24 * time.Hour
)

// JWKSHandler serves the issuer's public JWK set, standing in for
// Cognito's /.well-known/jwks.json in local mode.
func (i *Issuer) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSONError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		body, err := i.JWKS()
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, "JWKS unavailable")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}

// TokenHandler mints tokens for local clients: POST a form with sub
// (required), email and ttlSeconds (default 3600, at most 86400, negative
// for an already expired token); the answer is {"token": "..."}.
//
// Anyone who can reach it can be any speaker, so it refuses requests whose
// RemoteAddr is not loopback. It does not trust X-Forwarded-For: behind a
// proxy every request would look local.
func (i *Issuer) TokenHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopback(r.RemoteAddr) {
			writeJSONError(w, http.StatusForbidden, "token endpoint is loopback only")
			return
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSONError(w, http.StatusMethodNotAllowed, "method not allowed")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			writeJSONError(w, http.StatusBadRequest, "malformed form")
			return
		}
		sub := r.PostForm.Get("sub")
		if sub == "" {
			writeJSONError(w, http.StatusBadRequest, "sub is required")
			return
		}
		ttl, ok := parseTTL(r.PostForm.Get("ttlSeconds"))
		if !ok {
			writeJSONError(w, http.StatusBadRequest, "ttlSeconds must be an integer of at most 86400")
			return
		}
		token, err := i.Mint(sub, r.PostForm.Get("email"), ttl)
		if err != nil {
			writeJSONError(w, http.StatusInternalServerError, "could not mint token")
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"token": token})
	})
}

// parseTTL reads ttlSeconds; empty means the default. Negative values are
// allowed (expired tokens) but bounded like positive ones.
func parseTTL(s string) (time.Duration, bool) {
	if s == "" {
		return defaultMintTTL, true
	}
	n, err := strconv.ParseInt(s, 10, 64)
	maxSeconds := int64(maxMintTTL / time.Second)
	if err != nil || n > maxSeconds || n < -maxSeconds {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
