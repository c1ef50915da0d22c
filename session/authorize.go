package session

import "context"

// Authorize answers API Gateway's REQUEST authorizer for a $connect: a
// speaker action needs a valid token; a listener action may come without one
// (listeners are anonymous) but a token it does carry must be valid.
// allowed is false with a nil error for a plain refusal.
func (s *Service) Authorize(ctx context.Context, listener bool, token string) (id Identity, allowed bool, err error) {
	if token == "" {
		return Identity{}, listener, nil
	}
	id, verr := s.verify(ctx, token)
	if ErrorCode(verr) == CodeServiceUnavailable {
		return Identity{}, false, verr
	}
	if verr != nil {
		return Identity{}, false, nil
	}
	return id, true, nil
}
