package auth

import "errors"

// Verification errors. Verify wraps them with a short reason; compare with
// errors.Is. No error produced by this package contains the token itself.
var (
	// ErrInvalidToken covers everything wrong with the token: malformed,
	// wrong algorithm, bad signature, unknown kid, wrong iss, aud or
	// token_use, missing sub, or issued in the future.
	ErrInvalidToken = errors.New("auth: invalid token")
	// ErrTokenExpired means the signature and claims are valid but exp has
	// passed; speakers are told to log in again rather than that they forged.
	ErrTokenExpired = errors.New("auth: token expired")
	// ErrKeysUnavailable means the JWKS could not be fetched and no keys are
	// cached, so no token can be judged; callers answer 503, not 401.
	ErrKeysUnavailable = errors.New("auth: signing keys unavailable")
)
