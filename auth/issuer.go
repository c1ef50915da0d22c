package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// Issuer mints Cognito-shaped ID tokens from its own RSA key, for local
// mode and tests. A Verifier configured with the same issuer URL and client
// id, and a JWKSURL serving JWKSHandler, accepts them exactly as it accepts
// Cognito's. It is safe for concurrent use.
type Issuer struct {
	issuerURL string
	clientID  string
	key       jwk.Key // private, with kid and alg set
	now       func() time.Time
}

// NewIssuer generates an RSA-2048 signing key with a random kid.
func NewIssuer(issuerURL, clientID string) (*Issuer, error) {
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate issuer key: %w", err)
	}
	kid := make([]byte, 16)
	if _, err := rand.Read(kid); err != nil {
		return nil, fmt.Errorf("generate kid: %w", err)
	}
	key, err := signingKey(raw, hex.EncodeToString(kid))
	if err != nil {
		return nil, err
	}
	return &Issuer{issuerURL: issuerURL, clientID: clientID, key: key, now: time.Now}, nil
}

// NewIssuerWithKey uses a caller's RSA key and kid, so end-to-end tests can
// also sign tokens with wrong claims that only the claim checks refuse.
func NewIssuerWithKey(issuerURL, clientID string, raw *rsa.PrivateKey, kid string) (*Issuer, error) {
	key, err := signingKey(raw, kid)
	if err != nil {
		return nil, err
	}
	return &Issuer{issuerURL: issuerURL, clientID: clientID, key: key, now: time.Now}, nil
}

// signingKey wraps raw as a JWK carrying kid, alg and use, which is what
// puts the kid in every token header and in the published JWKS.
func signingKey(raw *rsa.PrivateKey, kid string) (jwk.Key, error) {
	key, err := jwk.FromRaw(raw)
	if err != nil {
		return nil, fmt.Errorf("wrap issuer key: %w", err)
	}
	for name, value := range map[string]any{
		jwk.KeyIDKey:     kid,
		jwk.AlgorithmKey: jwa.RS256,
		jwk.KeyUsageKey:  jwk.ForSignature,
	} {
		if err := key.Set(name, value); err != nil {
			return nil, fmt.Errorf("set %s on issuer key: %w", name, err)
		}
	}
	return key, nil
}

// Mint returns a signed ID token for sub, valid for ttl from now. A
// negative ttl yields a token that has already expired, for testing the
// expiry path; email is omitted when empty, as Cognito does.
func (i *Issuer) Mint(sub, email string, ttl time.Duration) (string, error) {
	if sub == "" {
		return "", fmt.Errorf("mint: empty sub")
	}
	now := i.now()
	claims := map[string]any{
		jwt.IssuerKey:      i.issuerURL,
		jwt.AudienceKey:    i.clientID,
		jwt.SubjectKey:     sub,
		jwt.IssuedAtKey:    now,
		jwt.ExpirationKey:  now.Add(ttl),
		"auth_time":        now.Unix(),
		"token_use":        "id",
		"cognito:username": sub,
	}
	if email != "" {
		claims["email"] = email
	}
	if ttl < 0 {
		// Look like a token that was valid once: issued before it expired.
		claims[jwt.IssuedAtKey] = now.Add(ttl - time.Minute)
		claims["auth_time"] = now.Add(ttl - time.Minute).Unix()
	}
	tok := jwt.New()
	for name, value := range claims {
		if err := tok.Set(name, value); err != nil {
			return "", fmt.Errorf("mint: set %s: %w", name, err)
		}
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, i.key))
	if err != nil {
		return "", fmt.Errorf("mint: sign: %w", err)
	}
	return string(signed), nil
}

// JWKS returns the public JWK set a Verifier needs to check minted tokens.
func (i *Issuer) JWKS() ([]byte, error) {
	pub, err := i.key.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("issuer public key: %w", err)
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		return nil, fmt.Errorf("build JWKS: %w", err)
	}
	body, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("encode JWKS: %w", err)
	}
	return body, nil
}
