package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
)

// FuzzVerify checks that no input panics Verify, that every rejection is
// one of the three sentinels, that no error quotes the token, and that
// anything accepted is a well-formed identity.
func FuzzVerify(f *testing.F) {
	e := newEnv(f)
	valid := e.mint(f, time.Hour)
	parts := strings.Split(valid, ".")
	for _, seed := range []string{
		valid,
		e.mint(f, -time.Hour),
		sign(f, jwa.RS256, e.rsaKey(f), "unknown-kid", e.claims()),
		sign(f, jwa.HS256, e.rsaKey(f).N.Bytes(), e.kid(), e.claims()),
		unsigned(f, map[string]any{"alg": "none", "kid": e.kid()}, e.claims(), ""),
		unsigned(f, map[string]any{"alg": "RS256", "kid": e.kid()}, with(e.claims(), map[string]any{"sub": "admin"}), parts[2]),
		parts[0] + "." + parts[1] + ".",
		parts[0] + ".." + parts[2],
		"",
		".",
		"..",
		"a.b.c",
		"eyJhbGciOiJSUzI1NiJ9.e30.",
		`{"payload":"e30","signatures":[]}`,
		"\x00\xff.\x00.\x00",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		claims, err := e.verify(token)
		if err == nil {
			if claims.Subject == "" || claims.ExpiresAt.IsZero() {
				t.Fatalf("accepted a token without subject or expiry: %+v", claims)
			}
			return
		}
		if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrTokenExpired) && !errors.Is(err, ErrKeysUnavailable) {
			t.Fatalf("unexpected error class: %v", err)
		}
		if len(token) >= 16 && strings.Contains(err.Error(), token) {
			t.Fatalf("error quotes the token: %v", err)
		}
	})
}

// FuzzClaims reaches past the signature check, which random tokens never
// pass, by feeding payloads straight to the claim checks.
func FuzzClaims(f *testing.F) {
	e := newEnv(f)
	for _, seed := range []string{
		`{"iss":"` + testIssuerURL + `","aud":"` + testClientID + `","sub":"u","token_use":"id","exp":1893553445}`,
		`{"iss":"` + testIssuerURL + `","aud":["x","` + testClientID + `"],"sub":"u","token_use":"id","exp":1.5e9,"nbf":"x"}`,
		`{"exp":-1,"iat":1e300,"email":{}}`,
		`[]`,
		`null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		claims, err := e.verifier.claims(payload)
		if err == nil {
			if claims.Subject == "" || !claims.ExpiresAt.After(e.clock.Now()) {
				t.Fatalf("accepted claims without subject or live expiry: %+v", claims)
			}
			return
		}
		if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}
