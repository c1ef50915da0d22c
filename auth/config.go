package auth

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Defaults applied by NewVerifier to zero Config fields.
const (
	defaultHTTPTimeout        = 3 * time.Second
	defaultMinRefreshInterval = 30 * time.Second
)

// Config describes the token issuer a Verifier trusts. Issuer and ClientID
// are required; every other field has a working zero value.
type Config struct {
	// Issuer is the exact "iss" expected, e.g. CognitoIssuer(region, poolID).
	Issuer string
	// ClientID is the app client id that Cognito ID tokens carry in "aud".
	ClientID string
	// JWKSURL is where the signing keys are fetched; empty means
	// Issuer + "/.well-known/jwks.json", which is where Cognito serves them.
	JWKSURL string
	// HTTPClient fetches the JWKS; nil means a client with a 3 s timeout,
	// so a slow Cognito cannot hold a $connect past its deadline.
	HTTPClient *http.Client
	// MinRefreshInterval is the least time between JWKS fetches triggered
	// by unknown kids, so forged kids cannot make us hammer Cognito;
	// zero means 30 s.
	MinRefreshInterval time.Duration
	// Leeway is the clock skew tolerated on exp, iat and nbf; zero means none.
	Leeway time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// CognitoIssuer returns the "iss" value of tokens from a Cognito user pool.
func CognitoIssuer(region, userPoolID string) string {
	return fmt.Sprintf("https://cognito-idp.%s.amazonaws.com/%s", region, userPoolID)
}

// withDefaults returns a copy of c with every zero field filled in.
func (c Config) withDefaults() Config {
	if c.JWKSURL == "" {
		c.JWKSURL = strings.TrimSuffix(c.Issuer, "/") + "/.well-known/jwks.json"
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if c.MinRefreshInterval <= 0 {
		c.MinRefreshInterval = defaultMinRefreshInterval
	}
	if c.Leeway < 0 {
		c.Leeway = 0
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}
