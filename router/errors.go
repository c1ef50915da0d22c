package router

import (
	"net/http"

	"github.com/livecast/sessions/session"
)

// httpStatus is the one table from error codes to $connect statuses
// (docs/PROTOCOL.md, "Error codes").
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
