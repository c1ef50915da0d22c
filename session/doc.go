// Package session is the domain of the service: who may open, join, refresh
// and leave a broadcast session, the limits that protect it, and the messages
// each participant receives. It talks to storage, the token verifier and the
// outbound message port through the small interfaces in ports.go, so it knows
// nothing about DynamoDB, API Gateway or the wire format.
package session
