package e2e

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// claims returns the claims of a valid token of this system, to be spoiled.
func (s *system) claims(sub string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": s.Gateway.HTTPURL(), "aud": s.clientID, "sub": sub, "token_use": "id",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

// sign signs claims with key (RS256) under kid.
func sign(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	tok := jwt.New()
	for k, v := range claims {
		require.NoError(t, tok.Set(k, v))
	}
	jk, err := jwk.FromRaw(key)
	require.NoError(t, err)
	require.NoError(t, jk.Set(jwk.KeyIDKey, kid))
	out, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, jk))
	require.NoError(t, err)
	return string(out)
}

// rawToken assembles a token by hand, for algorithms no library will sign.
func rawToken(t *testing.T, header, claims map[string]any, sig []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	require.NoError(t, err)
	c, err := json.Marshal(claims)
	require.NoError(t, err)
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(c) + "." + enc(sig)
}

func TestForgedTokensAreRefused(t *testing.T) {
	sys := startSystem(t, nil)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&sys.key.PublicKey))})

	spoil := func(k string, v any) map[string]any { c := sys.claims("mallory"); c[k] = v; return c }
	hs256WithPublicKey := func() string {
		tok := jwt.New()
		for k, v := range sys.claims("mallory") {
			require.NoError(t, tok.Set(k, v))
		}
		hdr := jws.NewHeaders()
		require.NoError(t, hdr.Set(jws.KeyIDKey, sys.keyID))
		out, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256, pubPEM, jws.WithProtectedHeaders(hdr)))
		require.NoError(t, err)
		return string(out)
	}

	cases := map[string]string{
		"signed with another key under our kid":   sign(t, otherKey, sys.keyID, sys.claims("mallory")),
		"alg none":                                rawToken(t, map[string]any{"alg": "none", "kid": sys.keyID}, sys.claims("mallory"), nil),
		"alg none without signature part":         strings.TrimSuffix(rawToken(t, map[string]any{"alg": "none", "typ": "JWT"}, sys.claims("mallory"), nil), "."),
		"HS256 with the public key as the secret": hs256WithPublicKey(),
		"wrong issuer":                            sign(t, sys.key, sys.keyID, spoil("iss", "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_evil")),
		"wrong audience":                          sign(t, sys.key, sys.keyID, spoil("aud", "another-client")),
		"access token instead of id token":        sign(t, sys.key, sys.keyID, spoil("token_use", "access")),
		"unknown kid":                             sign(t, sys.key, "rotated-away", sys.claims("mallory")),
		"truncated signature":                     sign(t, sys.key, sys.keyID, sys.claims("mallory"))[:200],
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			_, status, body := sys.tryDial(t, query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", tok))
			assert.Equal(t, 401, status)
			assert.Equal(t, "UNAUTHORIZED", body["code"])
			assert.Equal(t, "Invalid token", body["message"])
		})
	}
	t.Run("the real key with honest claims is accepted", func(t *testing.T) {
		c := sys.dial(t, query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", sign(t, sys.key, sys.keyID, sys.claims("alice"))))
		c.expect("sessionCreated")
	})
}

func TestAuthorizerEvent(t *testing.T) {
	sys := startSystem(t, nil)
	const arn = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/$connect"
	authorize := func(q map[string]string) map[string]any {
		ev, err := json.Marshal(map[string]any{
			"type": "REQUEST", "methodArn": arn, "queryStringParameters": q,
			"requestContext": map[string]any{"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "auth-1", "identity": map[string]any{"sourceIp": "198.51.100.9"}},
		})
		require.NoError(t, err)
		out, err := sys.Invoke(t.Context(), ev)
		require.NoError(t, err)
		var resp map[string]any
		require.NoError(t, json.Unmarshal(out, &resp))
		return resp
	}
	effect := func(resp map[string]any) string {
		st := resp["policyDocument"].(map[string]any)["Statement"].([]any)[0].(map[string]any)
		assert.Equal(t, []any{arn}, st["Resource"], "the policy names exactly the method called")
		return st["Effect"].(string)
	}
	t.Run("a valid speaker token is allowed with its identity", func(t *testing.T) {
		resp := authorize(map[string]string{"action": "createSession", "token": sys.token(t, "alice")})
		assert.Equal(t, "Allow", effect(resp))
		assert.Equal(t, "alice", resp["principalId"])
		assert.Equal(t, map[string]any{"userId": "alice", "email": "alice@example.com"}, resp["context"])
	})
	t.Run("anonymous listeners are allowed", func(t *testing.T) {
		assert.Equal(t, "Allow", effect(authorize(map[string]string{"action": "joinSession", "sessionId": "holy-lamb-101", "targetLanguage": "es"})))
		assert.Equal(t, "Allow", effect(authorize(map[string]string{"action": "refreshConnection", "role": "listener"})))
	})
	t.Run("speakers without a valid token are denied", func(t *testing.T) {
		assert.Equal(t, "Deny", effect(authorize(map[string]string{"action": "createSession"})))
		assert.Equal(t, "Deny", effect(authorize(map[string]string{"action": "createSession", "token": "garbage"})))
		assert.Equal(t, "Deny", effect(authorize(map[string]string{"action": "refreshConnection", "role": "speaker"})))
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
