package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/livecast/sessions/auth"
	"github.com/livecast/sessions/session"
)

// speakerTokens is the domain's TokenVerifier over auth's Cognito verifier:
// it turns claims into the domain's identity and auth's errors into the
// domain's, as store and audiostream do for theirs, so session needs nothing
// of auth.
type speakerTokens struct{ verifier *auth.Verifier }

var _ session.TokenVerifier = speakerTokens{}

func (v speakerTokens) Verify(ctx context.Context, token string) (session.Identity, error) {
	claims, err := v.verifier.Verify(ctx, token)
	switch {
	case err == nil:
		return session.Identity{UserID: claims.Subject, Email: claims.Email}, nil
	case errors.Is(err, auth.ErrTokenExpired):
		return session.Identity{}, fmt.Errorf("%w: %w", session.ErrTokenExpired, err)
	case errors.Is(err, auth.ErrKeysUnavailable):
		return session.Identity{}, fmt.Errorf("%w: %w", session.ErrUnavailable, err)
	default:
		return session.Identity{}, fmt.Errorf("%w: %w", session.ErrTokenInvalid, err)
	}
}
