package app

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/auth"
	"github.com/livecast/sessions/session"
)

func TestSpeakerTokensSpeakTheDomainsErrors(t *testing.T) {
	// The issuer's JWKS address has nothing listening: no key can be fetched.
	const issuerURL = "http://127.0.0.1:1"
	issuer, err := auth.NewIssuer(issuerURL, "client")
	require.NoError(t, err)
	good, err := issuer.Mint("alice", "alice@example.com", time.Hour)
	require.NoError(t, err)
	v := speakerTokens{auth.NewVerifier(auth.Config{Issuer: issuerURL, ClientID: "client"})}

	_, err = v.Verify(context.Background(), "not-a-jwt")
	assert.ErrorIs(t, err, session.ErrTokenInvalid)
	_, err = v.Verify(context.Background(), good)
	assert.ErrorIs(t, err, session.ErrUnavailable, "no keys: no token can be judged")
}

func TestSpeakerTokensGiveTheDomainsIdentity(t *testing.T) {
	const issuerURL = "https://issuer.example"
	issuer, err := auth.NewIssuer(issuerURL, "client")
	require.NoError(t, err)
	jwks := httptest.NewServer(issuer.JWKSHandler())
	t.Cleanup(jwks.Close)
	v := speakerTokens{auth.NewVerifier(auth.Config{Issuer: issuerURL, ClientID: "client", JWKSURL: jwks.URL})}

	good, err := issuer.Mint("alice", "alice@example.com", time.Hour)
	require.NoError(t, err)
	id, err := v.Verify(context.Background(), good)
	require.NoError(t, err)
	assert.Equal(t, session.Identity{UserID: "alice", Email: "alice@example.com"}, id)

	expired, err := issuer.Mint("alice", "", -time.Hour)
	require.NoError(t, err)
	_, err = v.Verify(context.Background(), expired)
	assert.ErrorIs(t, err, session.ErrTokenExpired)
}
