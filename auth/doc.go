// Package auth verifies the Cognito ID tokens speakers present at $connect,
// and in local mode issues tokens of the same shape from its own key, so the
// rest of the service cannot tell the two apart.
//
// Verification pins RS256, fetches the issuer's JWKS lazily and caches it,
// and reports a JWKS outage (ErrKeysUnavailable) separately from a bad
// token (ErrInvalidToken, ErrTokenExpired) so callers can answer 503 rather
// than 401 when Cognito, not the speaker, is at fault.
package auth
