package auth

import (
	"crypto/rsa"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// parseRSAKeys decodes a JWK set into the RS256 verification keys it holds,
// by kid. Keys we could never use (other types, other algorithms,
// encryption keys, keys without a kid) are dropped rather than failing the
// whole set, so one odd entry cannot take every speaker offline.
func parseRSAKeys(body []byte) (map[string]*rsa.PublicKey, error) {
	set, err := jwk.Parse(body, jwk.WithIgnoreParseError(true))
	if err != nil {
		return nil, fmt.Errorf("parse JWKS: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey, set.Len())
	for i := range set.Len() {
		k, ok := set.Key(i)
		if !ok || !usableForRS256(k) {
			continue
		}
		pub, err := jwk.PublicKeyOf(k)
		if err != nil {
			continue
		}
		var raw rsa.PublicKey
		if err := pub.Raw(&raw); err != nil {
			continue
		}
		keys[k.KeyID()] = &raw
	}
	return keys, nil
}

func usableForRS256(k jwk.Key) bool {
	if k.KeyType() != jwa.RSA || k.KeyID() == "" {
		return false
	}
	if alg := k.Algorithm().String(); alg != "" && alg != jwa.RS256.String() {
		return false
	}
	if use := k.KeyUsage(); use != "" && use != string(jwk.ForSignature) {
		return false
	}
	return true
}
