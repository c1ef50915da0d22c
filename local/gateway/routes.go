package gateway

import "encoding/json"

// selectRoute evaluates the route selection expression $request.body.action
// against the product's declared routes. Anything that does not name a
// declared route — a body that is not a JSON object, a missing or non-string
// action, an undeclared action — goes to $default, as on AWS. Field names
// match exactly (encoding/json's struct matching would ignore case, which
// API Gateway does not).
func selectRoute(body []byte, routes map[string]bool) string {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return routeDefault
	}
	raw, ok := fields["action"]
	if !ok {
		return routeDefault
	}
	var action string
	if err := json.Unmarshal(raw, &action); err != nil {
		return routeDefault
	}
	if !routes[action] {
		return routeDefault
	}
	return action
}
