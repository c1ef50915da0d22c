package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
)

// postTimeout bounds delivery to one slow client so a POST cannot hang; API
// Gateway likewise answers promptly rather than waiting on the client.
const postTimeout = 10 * time.Second

// managementTimeLayout is the ISO 8601 form AWS returns and the SDK parses.
const managementTimeLayout = "2006-01-02T15:04:05.000Z"

// getConnectionOutput uses the JSON names of the service model, which the
// SDK's GetConnection deserializer reads.
type getConnectionOutput struct {
	ConnectedAt  string             `json:"connectedAt"`
	Identity     connectionIdentity `json:"identity"`
	LastActiveAt string             `json:"lastActiveAt"`
}

type connectionIdentity struct {
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// serveManagement implements PostToConnection, GetConnection and
// DeleteConnection. Any Authorization header is accepted: local mode has no
// IAM, and the SDK always signs.
func (s *Server) serveManagement(w http.ResponseWriter, r *http.Request, id string) {
	w.Header().Set("X-Amzn-RequestId", newID())
	s.faults.wait(r.Context())
	switch r.Method {
	case http.MethodPost:
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(s.opts.MessageLimit)))
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeAWSError(w, http.StatusRequestEntityTooLarge, "PayloadTooLargeException", "Request Entity Too Large")
			return
		}
		if err != nil {
			writeAWSError(w, http.StatusBadRequest, "BadRequestException", "Bad Request")
			return
		}
		if s.faults.postFault(w) {
			return
		}
		c := s.lookup(r.Context(), id)
		if c == nil {
			writeGone(w)
			return
		}
		// Not the request's context: coder/websocket closes the socket when
		// a write's context ends, and a caller giving up on its POST must
		// not cost the client its connection.
		ctx, cancel := context.WithTimeout(context.Background(), postTimeout)
		defer cancel()
		if err := c.send(ctx, data); err != nil {
			s.log.Debug("gateway: post to closing connection", "connection", logID(id), "err", err)
			writeGone(w)
			return
		}
		w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		c := s.lookup(r.Context(), id)
		if c == nil {
			writeGone(w)
			return
		}
		body, _ := json.Marshal(getConnectionOutput{
			ConnectedAt: c.info.connectedAt.UTC().Format(managementTimeLayout),
			Identity: connectionIdentity{
				SourceIP:  c.info.sourceIP,
				UserAgent: c.info.userAgent,
			},
			LastActiveAt: time.UnixMilli(c.lastActive.Load()).UTC().Format(managementTimeLayout),
		})
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	case http.MethodDelete:
		c := s.lookup(r.Context(), id)
		if c == nil {
			writeGone(w)
			return
		}
		// AWS closes with 1000 and reports "Connection Closed Normally" to
		// $disconnect; the close itself runs after the 204, as on AWS.
		c.requestClose(closeNormal, reasonNormal)
		w.WriteHeader(http.StatusNoContent)
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		writeAWSError(w, http.StatusMethodNotAllowed, "MethodNotAllowedException", "Method Not Allowed")
	}
}

// writeGone is API Gateway's answer for an id that is not (or no longer, or
// not yet) an open connection; the header makes the SDK return GoneException.
func writeGone(w http.ResponseWriter) {
	writeAWSError(w, http.StatusGone, "GoneException", "Gone")
}

func writeAWSError(w http.ResponseWriter, status int, errorType, msg string) {
	w.Header().Set("X-Amzn-ErrorType", errorType)
	writeJSONMessage(w, status, msg)
}
