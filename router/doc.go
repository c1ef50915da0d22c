// Package router is the API Gateway boundary: it turns raw Lambda events
// (WebSocket routes, the REQUEST authorizer, internal welcome and fan-out
// events) into calls on the session service, and results and errors into API
// Gateway responses and wire messages. It owns the wire protocol; it knows
// nothing about DynamoDB.
package router
