package router

import (
	"context"
	"regexp"

	"github.com/livecast/sessions/session"
)

// A client may put a requestId on any action (docs/PROTOCOL.md, v1.2); the
// direct reply echoes it so the client can match answers to requests across
// a refresh. It is purely the wire's: the domain sends its reply to the
// connection that asked, and the router, which knows the action being
// handled, stamps the id on it.

// requestIDPattern is the form a requestId must have: short, and safe to
// echo into JSON and logs.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

type replyKey struct{}

// replyTo is the action being handled: who sent it, and its requestId.
type replyTo struct{ connectionID, requestID string }

// withReply notes in ctx that replies to connectionID answer requestID.
func withReply(ctx context.Context, connectionID, requestID string) context.Context {
	if requestID == "" {
		return ctx
	}
	return context.WithValue(ctx, replyKey{}, replyTo{connectionID, requestID})
}

// replyID is the requestId a message to connectionID echoes: the action's,
// when connectionID sent it, else none.
func replyID(ctx context.Context, connectionID string) string {
	r, _ := ctx.Value(replyKey{}).(replyTo)
	if r.connectionID != connectionID {
		return ""
	}
	return r.requestID
}

// checkRequestID refuses a malformed requestId, naming the field. The
// refusal does not echo it.
func checkRequestID(id *string) error {
	if id != nil && !requestIDPattern.MatchString(*id) {
		return &session.Error{Code: session.CodeInvalidParameters, Field: "requestId", Message: "requestId must be 1 to 64 letters, digits, _ or -"}
	}
	return nil
}
