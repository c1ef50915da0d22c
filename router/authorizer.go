package router

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/livecast/sessions/session"
)

// authorizerQuery reads what the authorizer needs of a $connect query:
// whether it is a listener's action (listeners are anonymous) and the token.
// A malformed token is no token to allow: ok is false.
func authorizerQuery(raw map[string][]string) (listener bool, token string, ok bool) {
	q := connectQuery(raw)
	action, _ := q.get("action")
	role, _ := q.get("role")
	token, err := q.get("token")
	listener = action == session.ActionJoin || (action == session.ActionRefresh && role == string(session.RoleListener))
	return listener, token, err == nil
}

// authorize answers API Gateway's REQUEST authorizer. It allows exactly the
// method being called (methodArn), so a cached policy can never open another.
func (r *Router) authorize(ctx context.Context, raw json.RawMessage) (json.RawMessage, error) {
	start := r.now()
	var ev events.APIGatewayCustomAuthorizerRequestTypeRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("%w: malformed authorizer event: %w", ErrUnknownEvent, err)
	}
	var id session.Identity
	allowed, err := false, error(nil)
	if listener, token, ok := authorizerQuery(queryOf(ev.QueryStringParameters, ev.MultiValueQueryStringParameters)); ok {
		id, allowed, err = r.svc.Authorize(ctx, listener, token)
	}
	r.logOutcome(ctx, "authorize", "", start, err, "allowed", allowed, "sourceIp", TruncateIP(ev.RequestContext.Identity.SourceIP))
	if err != nil {
		// A dependency is down: failing the invocation makes API Gateway
		// answer 500, which tells the client to retry, unlike a Deny (403).
		return nil, err
	}
	effect, principal := "Deny", "anonymous"
	ctxMap := map[string]any{}
	if allowed {
		effect = "Allow"
	}
	if id.UserID != "" {
		principal = id.UserID
		ctxMap["userId"] = id.UserID
		if id.Email != "" {
			ctxMap["email"] = id.Email
		}
	}
	return r.respond(events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: principal,
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{
			Version: "2012-10-17",
			Statement: []events.IAMPolicyStatement{{
				Action: []string{"execute-api:Invoke"}, Effect: effect, Resource: []string{ev.MethodArn},
			}},
		},
		Context: ctxMap,
	})
}
