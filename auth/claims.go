package auth

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwt"
)

// Claims are the parts of a verified ID token the service uses.
type Claims struct {
	Subject   string    // "sub": the Cognito user id
	Email     string    // "email"; empty when the token has none
	ExpiresAt time.Time // "exp"
}

// claims decodes a verified payload and checks it was meant for us. Identity
// is checked before expiry, so a stale token from another pool is reported
// as invalid rather than expired.
func (v *Verifier) claims(payload []byte) (Claims, error) {
	tok := jwt.New()
	if err := json.Unmarshal(payload, tok); err != nil {
		return Claims{}, fmt.Errorf("%w: malformed claims", ErrInvalidToken)
	}
	err := jwt.Validate(tok,
		jwt.WithResetValidators(true),
		jwt.WithValidator(jwt.IsIssuedAtValid()),
		jwt.WithValidator(jwt.IsNbfValid()),
		jwt.WithIssuer(v.cfg.Issuer),
		jwt.WithAudience(v.cfg.ClientID),
		jwt.WithClaimValue("token_use", "id"),
		jwt.WithRequiredClaim(jwt.SubjectKey),
		jwt.WithClock(jwt.ClockFunc(v.cfg.Now)),
		jwt.WithAcceptableSkew(v.cfg.Leeway),
	)
	if err != nil {
		// jwx validation messages name the claim, never its value.
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if tok.Subject() == "" {
		return Claims{}, fmt.Errorf("%w: empty sub", ErrInvalidToken)
	}
	email, err := stringClaim(tok, "email")
	if err != nil {
		return Claims{}, err
	}
	exp := tok.Expiration()
	if exp.Unix() <= 0 {
		return Claims{}, fmt.Errorf("%w: no exp", ErrInvalidToken)
	}
	if !v.cfg.Now().Before(exp.Add(v.cfg.Leeway)) {
		return Claims{}, fmt.Errorf("%w: expired at %s", ErrTokenExpired, exp.UTC().Format(time.RFC3339))
	}
	return Claims{Subject: tok.Subject(), Email: email, ExpiresAt: exp}, nil
}

// stringClaim returns an optional string claim, refusing other types.
func stringClaim(tok jwt.Token, name string) (string, error) {
	raw, ok := tok.Get(name)
	if !ok {
		return "", nil
	}
	s, ok := raw.(string)
	if !ok {
		return "", fmt.Errorf("%w: %q is not a string", ErrInvalidToken, name)
	}
	return s, nil
}
