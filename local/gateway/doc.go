// Package gateway is local mode's stand-in for API Gateway's WebSocket API.
//
// The product is one Lambda-style handler; on AWS, API Gateway turns client
// WebSocket traffic into $connect, MESSAGE and $disconnect events and offers
// the @connections management API. Locally a Server does the same in-process,
// faithfully enough that clients and the product cannot tell the difference:
// the same event JSON, the same limits (URL length, frame, message, idle,
// age), the same close codes in $disconnect, the same status codes and the
// same error shapes the AWS SDK expects. Requests API Gateway would not route
// (over-long URLs, paths with dot segments, text that is not UTF-8) are
// refused before any event is made.
//
// A Server is shaped like httptest.Server: New starts it, URL gives clients
// their address, ManagementEndpoint gives the product its @connections
// endpoint, Close tears everything down.
//
// Where API Gateway leaves behaviour unspecified, this emulator picks the
// simplest predictable rule and says so on the relevant declaration (for
// example: messages of one connection are handled one at a time, in order,
// and $disconnect is the last event a connection produces).
package gateway
