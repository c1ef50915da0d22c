package auth

import (
	"context"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// maxTokenBytes bounds what we parse; Cognito ID tokens are 1–2 KB.
const maxTokenBytes = 8 << 10

// Verifier checks ID tokens against one issuer and app client. It is safe
// for concurrent use: one Lambda process serves several invocations at once
// and they share its key cache.
type Verifier struct {
	cfg  Config
	keys *keyCache
}

// NewVerifier returns a Verifier for cfg. It does no I/O: the JWKS is
// fetched on the first Verify, so paths that never see a speaker token
// never reach Cognito.
func NewVerifier(cfg Config) *Verifier {
	cfg = cfg.withDefaults()
	return &Verifier{cfg: cfg, keys: newKeyCache(cfg)}
}

// Verify checks token's signature, algorithm, issuer, audience, token_use
// and times, and returns its claims. Errors wrap ErrInvalidToken,
// ErrTokenExpired or ErrKeysUnavailable. Verify is safe for concurrent use.
func (v *Verifier) Verify(ctx context.Context, token string) (Claims, error) {
	if v.cfg.Issuer == "" || v.cfg.ClientID == "" {
		// A misconfigured service, not a bad speaker: answer 503.
		return Claims{}, fmt.Errorf("%w: verifier has no issuer or client id", ErrKeysUnavailable)
	}
	if len(token) > maxTokenBytes {
		return Claims{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidToken, maxTokenBytes)
	}
	kid, err := rs256KeyID(token)
	if err != nil {
		return Claims{}, err
	}
	key, err := v.keys.key(ctx, kid)
	if err != nil {
		return Claims{}, err
	}
	// The key is used with RS256 only, whatever the header claims, so a
	// token cannot steer us to HMAC with the public key as the secret.
	payload, err := jws.Verify([]byte(token), jws.WithKey(jwa.RS256, key), jws.WithCompact())
	if err != nil {
		return Claims{}, fmt.Errorf("%w: bad signature", ErrInvalidToken)
	}
	return v.claims(payload)
}

// rs256KeyID reads the protected header and returns its kid, refusing any
// algorithm but RS256 before a key is ever looked up. Parse errors are not
// wrapped: they can quote pieces of the token.
func rs256KeyID(token string) (string, error) {
	msg, err := jws.Parse([]byte(token), jws.WithCompact())
	if err != nil {
		return "", fmt.Errorf("%w: malformed", ErrInvalidToken)
	}
	sigs := msg.Signatures()
	if len(sigs) != 1 {
		return "", fmt.Errorf("%w: want exactly one signature", ErrInvalidToken)
	}
	hdr := sigs[0].ProtectedHeaders()
	if hdr.Algorithm() != jwa.RS256 {
		return "", fmt.Errorf("%w: algorithm is not RS256", ErrInvalidToken)
	}
	if len(hdr.Critical()) > 0 {
		return "", fmt.Errorf("%w: unsupported critical header", ErrInvalidToken)
	}
	if _, ok := hdr.Get("b64"); ok {
		return "", fmt.Errorf("%w: unencoded payload not allowed", ErrInvalidToken)
	}
	kid := hdr.KeyID()
	if kid == "" {
		return "", fmt.Errorf("%w: no kid", ErrInvalidToken)
	}
	return kid, nil
}
