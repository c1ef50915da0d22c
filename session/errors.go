package session

import (
	"errors"
	"fmt"
)

// Code classifies every failure a client can see. The router alone maps codes
// to HTTP statuses and wire messages.
type Code string

// The protocol's error codes (docs/PROTOCOL.md, "Error codes").
const (
	CodeUnauthorized        Code = "UNAUTHORIZED"
	CodeForbidden           Code = "FORBIDDEN"
	CodeInvalidParameters   Code = "INVALID_PARAMETERS"
	CodeInvalidAction       Code = "INVALID_ACTION"
	CodeInvalidLanguage     Code = "INVALID_LANGUAGE"
	CodeUnsupportedLanguage Code = "UNSUPPORTED_LANGUAGE"
	CodeInvalidSessionID    Code = "INVALID_SESSION_ID"
	CodeSessionNotFound     Code = "SESSION_NOT_FOUND"
	CodeRateLimitExceeded   Code = "RATE_LIMIT_EXCEEDED"
	CodeSessionFull         Code = "SESSION_FULL"
	CodeServiceUnavailable  Code = "SERVICE_UNAVAILABLE"
	CodeInternal            Code = "INTERNAL_ERROR"
)

// Error is a failure with a code and the details a client needs to act on it.
type Error struct {
	Code       Code
	Message    string
	Field      string // the offending parameter, for validation errors
	SessionID  string
	RetryAfter int // seconds, for RATE_LIMIT_EXCEEDED
	Err        error
}

func (e *Error) Error() string {
	msg := string(e.Code) + ": " + e.Message
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code carried by err, INTERNAL_ERROR for anything else.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Storage outcomes. Store implementations return these (wrapped) so the
// domain can tell a business refusal from a failure without knowing DynamoDB.
var (
	ErrNotFound = errors.New("session: not found")
	// ErrNotCounted is a release of a listener the counts do not hold (the
	// session ended and reset them, or the count is already zero).
	ErrNotCounted = errors.New("session: listener not counted")
	// ErrCountsChanged is a reconciliation that lost a race with a count
	// change: the counts are being maintained; look again later.
	ErrCountsChanged = errors.New("session: counts changed since read")
	// ErrResumeRefused is a resume token that matches no seat: forged,
	// expired, already used, or for another session or language.
	ErrResumeRefused       = errors.New("session: resume token refused")
	ErrSessionFull         = errors.New("session: capacity reached")
	ErrDuplicateConnection = errors.New("session: connection already registered")
	ErrSessionIDTaken      = errors.New("session: session id taken")
	ErrReplayed            = errors.New("session: request already handled")
	ErrNotSpeaker          = errors.New("session: not the session's speaker")
	ErrUnavailable         = errors.New("session: dependency unavailable")
	// ErrLimitsUnavailable is a Limiter whose own table is missing or not
	// accessible while the database otherwise works: limits are skipped.
	ErrLimitsUnavailable = errors.New("session: rate-limit store unavailable")
	// ErrTokenInvalid is a speaker token the TokenVerifier refuses:
	// malformed, forged, for another pool or client.
	ErrTokenInvalid = errors.New("session: invalid token")
	// ErrTokenExpired is a genuine token past its expiry: the speaker is
	// told to sign in again rather than that it forged.
	ErrTokenExpired = errors.New("session: token expired")
	// ErrConnectionGone is returned by a Messenger for a connection that no
	// longer exists (HTTP 410 from @connections): drop it, never retry.
	ErrConnectionGone = errors.New("session: connection gone")
	// ErrThrottled is returned by a Messenger when @connections refused a
	// post for the account's request quota (HTTP 429
	// LimitExceededException): retry it after a wait, never at once.
	ErrThrottled = errors.New("session: connections API throttled")
)

// RateLimitedError is returned by a Limiter when a counter is over its limit.
type RateLimitedError struct {
	Limit      string
	RetryAfter int // seconds until the window resets
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("session: rate limit %s exceeded, retry after %ds", e.Limit, e.RetryAfter)
}

func invalidParam(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParameters, Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFound(sessionID string, err error) *Error {
	return &Error{Code: CodeSessionNotFound, Message: "Session not found", SessionID: sessionID, Err: err}
}

func unavailable(err error) *Error {
	return &Error{Code: CodeServiceUnavailable, Message: "Service temporarily unavailable", Err: err}
}

// classify turns a storage error into the client-facing error of an operation
// on sessionID; outcomes it does not know become INTERNAL_ERROR.
func classify(sessionID string, err error) error {
	var e *Error
	var rl *RateLimitedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e):
		return err
	case errors.As(err, &rl):
		return &Error{Code: CodeRateLimitExceeded, Message: "Rate limit exceeded", RetryAfter: rl.RetryAfter, SessionID: sessionID, Err: err}
	case errors.Is(err, ErrNotFound):
		return notFound(sessionID, err)
	case errors.Is(err, ErrSessionFull):
		return &Error{Code: CodeSessionFull, Message: "Session is at capacity", SessionID: sessionID, Err: err}
	case errors.Is(err, ErrResumeRefused):
		return &Error{Code: CodeInvalidParameters, Field: "resumeToken", Message: "resumeToken is not valid for this session (expired, already used, or another seat's)", SessionID: sessionID, Err: err}
	case errors.Is(err, ErrNotSpeaker):
		return &Error{Code: CodeForbidden, Message: "Not the speaker of this session", SessionID: sessionID, Err: err}
	case errors.Is(err, ErrUnavailable):
		return unavailable(err)
	default:
		return &Error{Code: CodeInternal, Message: "Internal error", SessionID: sessionID, Err: err}
	}
}
