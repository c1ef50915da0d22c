package auth

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/stretchr/testify/require"
)

const (
	testIssuerURL = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST"
	testClientID  = "test-client-id"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// jwksServer serves a replaceable JWKS and counts fetches. While gate is
// non-nil, requests block until it is closed.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int32
	entered chan struct{} // receives once per request, without blocking

	mu     sync.Mutex
	body   []byte
	status int
	gate   chan struct{}
}

func newJWKSServer(t testing.TB, body []byte) *jwksServer {
	t.Helper()
	s := &jwksServer{body: body, status: http.StatusOK, entered: make(chan struct{}, 1024)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) serve(w http.ResponseWriter, r *http.Request) {
	s.fetches.Add(1)
	select {
	case s.entered <- struct{}{}:
	default:
	}
	s.mu.Lock()
	body, status, gate := s.body, s.status, s.gate
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *jwksServer) set(body []byte, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.status = body, status
}

func (s *jwksServer) hold() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gate = make(chan struct{})
	return s.gate
}

// env is an issuer, a JWKS server publishing its key, and a verifier
// trusting both, all on one fake clock.
type env struct {
	clock    *fakeClock
	issuer   *Issuer
	server   *jwksServer
	verifier *Verifier
}

func newEnv(t testing.TB, adjust ...func(*Config)) *env {
	t.Helper()
	clock := newFakeClock()
	issuer := newTestIssuer(t, clock)
	body, err := issuer.JWKS()
	require.NoError(t, err)
	server := newJWKSServer(t, body)
	cfg := Config{Issuer: testIssuerURL, ClientID: testClientID, JWKSURL: server.URL, Now: clock.Now}
	for _, f := range adjust {
		f(&cfg)
	}
	return &env{clock: clock, issuer: issuer, server: server, verifier: NewVerifier(cfg)}
}

func newTestIssuer(t testing.TB, clock *fakeClock) *Issuer {
	t.Helper()
	issuer, err := NewIssuer(testIssuerURL, testClientID)
	require.NoError(t, err)
	issuer.now = clock.Now
	return issuer
}

func (e *env) mint(t testing.TB, ttl time.Duration) string {
	t.Helper()
	token, err := e.issuer.Mint("user-1", "speaker@example.com", ttl)
	require.NoError(t, err)
	return token
}

func (e *env) verify(token string) (Claims, error) {
	return e.verifier.Verify(context.Background(), token)
}

// kid is the issuer's key id, for forging tokens that name it.
func (e *env) kid() string { return e.issuer.key.KeyID() }

// rsaKey is the issuer's private key, for forging tokens it would not mint.
func (e *env) rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	var raw rsa.PrivateKey
	require.NoError(t, e.issuer.key.Raw(&raw))
	return &raw
}

// claims returns the claims of a valid token at the env's current time.
func (e *env) claims() map[string]any {
	now := e.clock.Now()
	return map[string]any{
		"iss":       testIssuerURL,
		"aud":       testClientID,
		"sub":       "user-1",
		"email":     "speaker@example.com",
		"token_use": "id",
		"iat":       now.Unix(),
		"exp":       now.Add(time.Hour).Unix(),
	}
}

// with returns claims with the given overrides; a nil value deletes.
func with(claims map[string]any, overrides map[string]any) map[string]any {
	out := make(map[string]any, len(claims))
	for k, v := range claims {
		out[k] = v
	}
	for k, v := range overrides {
		if v == nil {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

// sign produces a compact JWS of claims with any algorithm and key, and
// kid in the header when non-empty.
func sign(t testing.TB, alg jwa.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	hdr := jws.NewHeaders()
	if kid != "" {
		require.NoError(t, hdr.Set(jws.KeyIDKey, kid))
	}
	out, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	require.NoError(t, err)
	return string(out)
}

// unsigned builds a token by hand from a raw header, for headers jws.Sign
// refuses to produce (alg none).
func unsigned(t testing.TB, header map[string]any, claims map[string]any, sig string) string {
	t.Helper()
	h, err := json.Marshal(header)
	require.NoError(t, err)
	c, err := json.Marshal(claims)
	require.NoError(t, err)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + "." + sig
}
