package session

import (
	"context"
	"errors"
)

// ConnectRequest is a $connect as the domain sees it: the router has parsed
// the query (docs/PROTOCOL.md, "Connecting") into these values, and the
// domain checks what they mean.
type ConnectRequest struct {
	ConnectionID   string
	SourceIP       string
	Action         string // ActionCreate, ActionJoin or ActionRefresh
	Role           Role   // refresh: whose connection is replaced
	Token          string // speaker
	SessionID      string // join and refresh
	SourceLanguage string // create
	QualityTier    string // create
	Options        StreamOptionsRequest
	TargetLanguage string // listener
	ResumeToken    string // listener refresh (v1.1), optional
}

// Connect admits a connection (speaker create, listener join, or refresh of
// either) or refuses it with an *Error. Nothing is stored when it refuses.
func (s *Service) Connect(ctx context.Context, req ConnectRequest) (Welcome, error) {
	p, err := s.checkConnect(req)
	if err != nil {
		return Welcome{}, err
	}
	switch {
	case p.action == ActionCreate:
		return s.create(ctx, req, p)
	case p.action == ActionJoin:
		return s.join(ctx, req, p)
	case p.role == RoleListener:
		return s.refreshListener(ctx, req, p)
	default:
		return s.refreshSpeaker(ctx, req, p)
	}
}

func (s *Service) replayed(ctx context.Context, req ConnectRequest) Welcome {
	s.log.InfoContext(ctx, "duplicate $connect ignored", "operation", "connect", "correlationId", HashID(req.ConnectionID))
	return Welcome{ConnectionID: req.ConnectionID, Replayed: true}
}

// verify checks a speaker token; the messages are the ones the original
// clients show their users.
func (s *Service) verify(ctx context.Context, token string) (Identity, error) {
	if token == "" {
		return Identity{}, &Error{Code: CodeUnauthorized, Field: "token", Message: "Missing token"}
	}
	id, err := s.verifier.Verify(ctx, token)
	switch {
	case err == nil:
		return id, nil
	case errors.Is(err, ErrTokenExpired):
		return id, &Error{Code: CodeUnauthorized, Message: "Token expired", Err: err}
	case errors.Is(err, ErrUnavailable):
		return id, unavailable(err)
	default:
		return id, &Error{Code: CodeUnauthorized, Message: "Invalid token", Err: err}
	}
}

func withSession(err error, sessionID string) error {
	var e *Error
	if errors.As(err, &e) && e.SessionID == "" {
		e.SessionID = sessionID
	}
	return err
}
