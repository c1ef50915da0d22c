package router

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/livecast/sessions/session"
)

// httpStatus is the one table from error codes to $connect statuses
// (PROTOCOL.md, "Error codes").
var httpStatus = map[session.Code]int{
	session.CodeUnauthorized:        http.StatusUnauthorized,
	session.CodeForbidden:           http.StatusForbidden,
	session.CodeInvalidParameters:   http.StatusBadRequest,
	session.CodeInvalidAction:       http.StatusBadRequest,
	session.CodeInvalidLanguage:     http.StatusBadRequest,
	session.CodeUnsupportedLanguage: http.StatusBadRequest,
	session.CodeInvalidSessionID:    http.StatusBadRequest,
	session.CodeSessionNotFound:     http.StatusNotFound,
	session.CodeRateLimitExceeded:   http.StatusTooManyRequests,
	session.CodeSessionFull:         http.StatusServiceUnavailable,
	session.CodeServiceUnavailable:  http.StatusServiceUnavailable,
	session.CodeInternal:            http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for err's code.
func StatusOf(err error) int {
	if s, ok := httpStatus[session.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

type errorDetails struct {
	Field      string `json:"field,omitempty"`
	SessionID  string `json:"sessionId,omitempty"`
	RetryAfter int    `json:"retryAfter,omitempty"`
}

type errorMessage struct {
	header
	Code      session.Code `json:"code"`
	Message   string       `json:"message"`
	Details   errorDetails `json:"details"`
	RequestID string       `json:"requestId,omitempty"`
}

// encodeError renders err as the protocol's error message. Internal causes
// never reach the client: only the code's public message does.
func encodeError(err error, requestID string, now time.Time) []byte {
	msg := errorMessage{header: header{Type: "error", Timestamp: now.UnixMilli()}, RequestID: requestID}
	var e *session.Error
	if errors.As(err, &e) && e.Code != session.CodeInternal {
		msg.Code, msg.Message = e.Code, e.Message
		msg.Details = errorDetails{Field: e.Field, SessionID: e.SessionID, RetryAfter: e.RetryAfter}
	} else {
		msg.Code, msg.Message = session.CodeInternal, "Internal error"
		if e != nil {
			msg.Details.SessionID = e.SessionID
		}
	}
	b, _ := json.Marshal(msg) // plain structs of strings and ints cannot fail
	return b
}
