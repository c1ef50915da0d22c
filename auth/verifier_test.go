package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerifyAcceptsIssuedTokens(t *testing.T) {
	t.Run("a minted token is accepted and its claims returned", func(t *testing.T) {
		e := newEnv(t)
		claims, err := e.verify(e.mint(t, time.Hour))
		require.NoError(t, err)
		assert.Equal(t, "user-1", claims.Subject)
		assert.Equal(t, "speaker@example.com", claims.Email)
		assert.True(t, claims.ExpiresAt.Equal(e.clock.Now().Add(time.Hour)))
	})
	t.Run("a token without email is accepted with an empty Email", func(t *testing.T) {
		e := newEnv(t)
		token, err := e.issuer.Mint("user-2", "", time.Minute)
		require.NoError(t, err)
		claims, err := e.verify(token)
		require.NoError(t, err)
		assert.Equal(t, "user-2", claims.Subject)
		assert.Empty(t, claims.Email)
	})
	t.Run("an audience list containing the client id is accepted", func(t *testing.T) {
		e := newEnv(t)
		token := sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"aud": []string{"other", testClientID}}))
		_, err := e.verify(token)
		assert.NoError(t, err)
	})
	t.Run("a token expired within the leeway is accepted", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Leeway = 30 * time.Second })
		_, err := e.verify(e.mint(t, -10*time.Second))
		assert.NoError(t, err)
	})
	t.Run("a token issued slightly in the future is accepted within the leeway", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Leeway = 30 * time.Second })
		now := e.clock.Now()
		token := sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"iat": now.Add(10 * time.Second).Unix()}))
		_, err := e.verify(token)
		assert.NoError(t, err)
	})
}

func TestVerifyRejects(t *testing.T) {
	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)

	tests := []struct {
		name  string
		token func(t *testing.T, e *env) string
		want  error
	}{
		{"an expired token is reported as expired", func(t *testing.T, e *env) string {
			return e.mint(t, -time.Minute)
		}, ErrTokenExpired},
		{"a token expiring exactly now is reported as expired", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"exp": e.clock.Now().Unix()}))
		}, ErrTokenExpired},
		{"an expired token from another issuer is invalid, not expired", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"iss": "https://evil.example", "exp": e.clock.Now().Add(-time.Hour).Unix()}))
		}, ErrInvalidToken},
		{"a token signed by another RSA key under the same kid is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, otherRSA, e.kid(), e.claims())
		}, ErrInvalidToken},
		{"alg none is invalid", func(t *testing.T, e *env) string {
			return unsigned(t, map[string]any{"alg": "none", "kid": e.kid()}, e.claims(), "")
		}, ErrInvalidToken},
		{"alg none with a signature segment is invalid", func(t *testing.T, e *env) string {
			return unsigned(t, map[string]any{"alg": "none", "kid": e.kid()}, e.claims(), "AAAA")
		}, ErrInvalidToken},
		{"HS256 keyed with the public key PEM is invalid", func(t *testing.T, e *env) string {
			der, err := x509.MarshalPKIXPublicKey(&e.rsaKey(t).PublicKey)
			require.NoError(t, err)
			secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
			return sign(t, jwa.HS256, secret, e.kid(), e.claims())
		}, ErrInvalidToken},
		{"HS256 keyed with the raw modulus is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.HS256, e.rsaKey(t).N.Bytes(), e.kid(), e.claims())
		}, ErrInvalidToken},
		{"RS512 signed by the right key is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS512, e.rsaKey(t), e.kid(), e.claims())
		}, ErrInvalidToken},
		{"PS256 signed by the right key is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.PS256, e.rsaKey(t), e.kid(), e.claims())
		}, ErrInvalidToken},
		{"ES256 is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.ES256, ecKey, e.kid(), e.claims())
		}, ErrInvalidToken},
		{"a token without kid is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), "", e.claims())
		}, ErrInvalidToken},
		{"a wrong issuer is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"iss": testIssuerURL + "x"}))
		}, ErrInvalidToken},
		{"a missing issuer is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"iss": nil}))
		}, ErrInvalidToken},
		{"a wrong audience is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"aud": "other-client"}))
		}, ErrInvalidToken},
		{"a missing audience is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"aud": nil}))
		}, ErrInvalidToken},
		{"an access token is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"token_use": "access"}))
		}, ErrInvalidToken},
		{"a missing token_use is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"token_use": nil}))
		}, ErrInvalidToken},
		{"a missing sub is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"sub": nil}))
		}, ErrInvalidToken},
		{"an empty sub is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"sub": ""}))
		}, ErrInvalidToken},
		{"a missing exp is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"exp": nil}))
		}, ErrInvalidToken},
		{"an iat in the future is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"iat": e.clock.Now().Add(time.Minute).Unix()}))
		}, ErrInvalidToken},
		{"an nbf in the future is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"nbf": e.clock.Now().Add(time.Minute).Unix()}))
		}, ErrInvalidToken},
		{"a non-string email is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"email": 42}))
		}, ErrInvalidToken},
		{"a critical header is invalid", func(t *testing.T, e *env) string {
			parts := strings.Split(e.mint(t, time.Hour), ".")
			return unsigned(t, map[string]any{"alg": "RS256", "kid": e.kid(), "crit": []string{"exp"}, "exp": 1}, e.claims(), parts[2])
		}, ErrInvalidToken},
		{"a tampered payload is invalid", func(t *testing.T, e *env) string {
			parts := strings.Split(e.mint(t, time.Hour), ".")
			forged := strings.Split(unsigned(t, map[string]any{}, with(e.claims(), map[string]any{"sub": "admin"}), ""), ".")
			return parts[0] + "." + forged[1] + "." + parts[2]
		}, ErrInvalidToken},
		{"the JSON serialization is invalid", func(t *testing.T, e *env) string {
			parts := strings.Split(e.mint(t, time.Hour), ".")
			return `{"payload":"` + parts[1] + `","protected":"` + parts[0] + `","signature":"` + parts[2] + `"}`
		}, ErrInvalidToken},
		{"an empty string is invalid", func(*testing.T, *env) string { return "" }, ErrInvalidToken},
		{"garbage is invalid", func(*testing.T, *env) string { return "not a token at all" }, ErrInvalidToken},
		{"three empty segments are invalid", func(*testing.T, *env) string { return ".." }, ErrInvalidToken},
		{"a header that is not JSON is invalid", func(*testing.T, *env) string { return "bm90IGpzb24.e30.AAAA" }, ErrInvalidToken},
		{"an oversize token is invalid", func(t *testing.T, e *env) string {
			return sign(t, jwa.RS256, e.rsaKey(t), e.kid(), with(e.claims(), map[string]any{"pad": strings.Repeat("x", maxTokenBytes)}))
		}, ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			token := tt.token(t, e)
			_, err := e.verify(token)
			require.Error(t, err)
			t.Log(err)
			assert.ErrorIs(t, err, tt.want)
			if len(token) > 8 {
				assert.NotContains(t, err.Error(), token, "errors must never quote the token")
			}
		})
	}
}

func TestVerifyOversizeTokenIsRejectedWithoutFetchingKeys(t *testing.T) {
	t.Run("a token over 8 KB never reaches the JWKS", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.verify(strings.Repeat("a", maxTokenBytes+1))
		assert.ErrorIs(t, err, ErrInvalidToken)
		assert.Zero(t, e.server.fetches.Load())
	})
}

func TestVerifyMisconfigured(t *testing.T) {
	t.Run("a verifier without issuer or client id answers unavailable, not invalid", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.ClientID = "" })
		_, err := e.verify(e.mint(t, time.Hour))
		assert.ErrorIs(t, err, ErrKeysUnavailable)
	})
}
