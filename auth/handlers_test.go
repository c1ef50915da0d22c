package auth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func postForm(remoteAddr string, form url.Values) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = remoteAddr
	return req
}

func TestTokenHandler(t *testing.T) {
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
	}{
		{"a loopback IPv4 caller gets a token", postForm("127.0.0.1:40000", url.Values{"sub": {"u1"}}), http.StatusOK},
		{"a loopback IPv6 caller gets a token", postForm("[::1]:40000", url.Values{"sub": {"u1"}, "email": {"a@b.c"}}), http.StatusOK},
		{"a non-loopback caller is refused", postForm("192.0.2.7:40000", url.Values{"sub": {"u1"}}), http.StatusForbidden},
		{"a non-loopback caller claiming to be forwarded from loopback is refused", func() *http.Request {
			r := postForm("192.0.2.7:40000", url.Values{"sub": {"u1"}})
			r.Header.Set("X-Forwarded-For", "127.0.0.1")
			return r
		}(), http.StatusForbidden},
		{"a missing sub is a bad request", postForm("127.0.0.1:1", url.Values{"email": {"a@b.c"}}), http.StatusBadRequest},
		{"a non-integer ttl is a bad request", postForm("127.0.0.1:1", url.Values{"sub": {"u1"}, "ttlSeconds": {"soon"}}), http.StatusBadRequest},
		{"a ttl over a day is a bad request", postForm("127.0.0.1:1", url.Values{"sub": {"u1"}, "ttlSeconds": {"86401"}}), http.StatusBadRequest},
		{"a ttl of exactly a day is accepted", postForm("127.0.0.1:1", url.Values{"sub": {"u1"}, "ttlSeconds": {"86400"}}), http.StatusOK},
		{"a GET is not allowed", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/token?sub=u1", nil)
			r.RemoteAddr = "127.0.0.1:1"
			return r
		}(), http.StatusMethodNotAllowed},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			e.issuer.TokenHandler().ServeHTTP(rec, tt.req)
			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			var body map[string]string
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
			if tt.wantStatus == http.StatusOK {
				_, err := e.verify(body["token"])
				assert.NoError(t, err, "the minted token verifies")
			} else {
				assert.NotEmpty(t, body["error"])
			}
		})
	}
}

func TestTokenHandlerMintsWhatVerifyExpects(t *testing.T) {
	mint := func(t *testing.T, e *env, form url.Values) string {
		t.Helper()
		rec := httptest.NewRecorder()
		e.issuer.TokenHandler().ServeHTTP(rec, postForm("127.0.0.1:1", form))
		require.Equal(t, http.StatusOK, rec.Code)
		var body struct{ Token string }
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
		return body.Token
	}
	t.Run("the token carries sub, email and the default hour of validity", func(t *testing.T) {
		e := newEnv(t)
		claims, err := e.verify(mint(t, e, url.Values{"sub": {"u1"}, "email": {"a@b.c"}}))
		require.NoError(t, err)
		assert.Equal(t, Claims{Subject: "u1", Email: "a@b.c", ExpiresAt: e.clock.Now().Add(defaultMintTTL)}, claims)
	})
	t.Run("a negative ttl mints a token Verify reports as expired", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.verify(mint(t, e, url.Values{"sub": {"u1"}, "ttlSeconds": {"-60"}}))
		assert.ErrorIs(t, err, ErrTokenExpired)
	})
	t.Run("a ttl in seconds is honoured", func(t *testing.T) {
		e := newEnv(t)
		claims, err := e.verify(mint(t, e, url.Values{"sub": {"u1"}, "ttlSeconds": {"90"}}))
		require.NoError(t, err)
		assert.Equal(t, e.clock.Now().Add(90*time.Second), claims.ExpiresAt)
	})
}

func TestJWKSHandler(t *testing.T) {
	e := newEnv(t)
	t.Run("GET serves the public key set as JSON", func(t *testing.T) {
		rec := httptest.NewRecorder()
		e.issuer.JWKSHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		keys, err := parseRSAKeys(rec.Body.Bytes())
		require.NoError(t, err)
		assert.Contains(t, keys, e.kid())
		assert.NotContains(t, rec.Body.String(), `"d"`, "no private exponent is published")
	})
	t.Run("POST is not allowed", func(t *testing.T) {
		rec := httptest.NewRecorder()
		e.issuer.JWKSHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/.well-known/jwks.json", nil))
		assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	})
	t.Run("a verifier pointed at the handler accepts minted tokens", func(t *testing.T) {
		srv := httptest.NewServer(e.issuer.JWKSHandler())
		t.Cleanup(srv.Close)
		v := NewVerifier(Config{Issuer: testIssuerURL, ClientID: testClientID, JWKSURL: srv.URL, Now: e.clock.Now})
		_, err := v.Verify(t.Context(), e.mint(t, time.Hour))
		assert.NoError(t, err)
	})
}

func TestConfig(t *testing.T) {
	t.Run("CognitoIssuer builds the regional pool URL", func(t *testing.T) {
		assert.Equal(t, "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc", CognitoIssuer("us-east-1", "us-east-1_abc"))
	})
	t.Run("zero fields get working defaults", func(t *testing.T) {
		cfg := Config{Issuer: "https://issuer.example/"}.withDefaults()
		assert.Equal(t, "https://issuer.example/.well-known/jwks.json", cfg.JWKSURL)
		assert.Equal(t, defaultHTTPTimeout, cfg.HTTPClient.Timeout)
		assert.Equal(t, defaultMinRefreshInterval, cfg.MinRefreshInterval)
		assert.NotNil(t, cfg.Now)
	})
}
