package router

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/livecast/sessions/session"
)

// The $connect query of docs/PROTOCOL.md ("Connecting"), parsed into the
// domain's typed request. The router owns the wire: which parameters each
// action takes, how a value is spelled (one value, text, a bounded length,
// true|false, a number). The domain owns what the values mean: supported
// languages, the form of a session id, the ranges of the stream options.

// Bounds on query values: a token is a few KB, everything else is short.
const (
	maxTokenLen = 8192
	maxValueLen = 256
)

// connectQuery gives single, well-formed values out of a multi-valued query.
type connectQuery map[string][]string

// get returns the one value of name, "" when absent. A repeated, over-long or
// oddly encoded value is refused rather than guessed at: the client that sent
// it has a bug the user should hear about.
func (q connectQuery) get(name string) (string, error) {
	vals := q[name]
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1:
		return "", invalidParam(name, "Parameter %s is repeated", name)
	}
	v := vals[0]
	limit := maxValueLen
	if name == "token" {
		limit = maxTokenLen
	}
	if len(v) > limit {
		return "", invalidParam(name, "Parameter %s is longer than %d bytes", name, limit)
	}
	// U+FFFD means an encoding was already repaired upstream: still bad input.
	if !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 || strings.ContainsRune(v, utf8.RuneError) {
		return "", invalidParam(name, "Parameter %s is not valid text", name)
	}
	return v, nil
}

func (q connectQuery) require(name string) (string, error) {
	v, err := q.get(name)
	if err == nil && v == "" {
		err = invalidParam(name, "Missing required parameter: %s", name)
	}
	return v, err
}

// parseConnect turns a $connect query into the domain's request. Every
// refusal is INVALID_PARAMETERS or INVALID_ACTION naming the parameter.
func parseConnect(raw map[string][]string, connectionID, sourceIP string) (session.ConnectRequest, error) {
	q := connectQuery(raw)
	req := session.ConnectRequest{ConnectionID: connectionID, SourceIP: sourceIP}
	var err error
	if req.Action, err = q.require("action"); err != nil {
		return req, err
	}
	switch req.Action {
	case session.ActionCreate:
		err = q.parseCreate(&req)
	case session.ActionJoin:
		err = q.parseAll(map[string]*string{"sessionId": &req.SessionID, "targetLanguage": &req.TargetLanguage}, "sessionId", "targetLanguage")
	case session.ActionRefresh:
		err = q.parseRefresh(&req)
	default:
		return req, &session.Error{Code: session.CodeInvalidAction, Field: "action", Message: "Unknown action: " + session.Truncate(req.Action, 64)}
	}
	return req, err
}

// parseAll reads the named required parameters, in that order, into their
// fields.
func (q connectQuery) parseAll(into map[string]*string, names ...string) error {
	for _, name := range names {
		v, err := q.require(name)
		if err != nil {
			return err
		}
		*into[name] = v
	}
	return nil
}

func (q connectQuery) parseCreate(req *session.ConnectRequest) error {
	if err := q.parseAll(map[string]*string{"sourceLanguage": &req.SourceLanguage, "qualityTier": &req.QualityTier}, "sourceLanguage", "qualityTier"); err != nil {
		return err
	}
	var err error
	if v, err := q.get("partialResults"); err != nil {
		return err
	} else if v != "" {
		if v != "true" && v != "false" {
			return invalidParam("partialResults", "partialResults must be true or false")
		}
		b := v == "true"
		req.Options.PartialResults = &b
	}
	if req.Options.MinStability, err = q.number("minStability"); err != nil {
		return err
	}
	if req.Options.MaxBufferTimeout, err = q.number("maxBufferTimeout"); err != nil {
		return err
	}
	req.Token, err = q.get("token")
	return err
}

// number reads an optional decimal number; its range is the domain's.
func (q connectQuery) number(name string) (*float64, error) {
	v, err := q.get(name)
	if err != nil || v == "" {
		return nil, err
	}
	f, perr := strconv.ParseFloat(v, 64)
	if perr != nil {
		return nil, invalidParam(name, "%s must be a number", name)
	}
	return &f, nil
}

func (q connectQuery) parseRefresh(req *session.ConnectRequest) error {
	role, err := q.require("role")
	if err != nil {
		return err
	}
	req.Role = session.Role(role)
	if req.SessionID, err = q.require("sessionId"); err != nil {
		return err
	}
	switch req.Role {
	case session.RoleSpeaker:
		req.Token, err = q.get("token")
	case session.RoleListener:
		if req.TargetLanguage, err = q.require("targetLanguage"); err != nil {
			return err
		}
		req.ResumeToken, err = q.get("resumeToken")
	default:
		err = invalidParam("role", "role must be speaker or listener")
	}
	return err
}

func invalidParam(field, format string, args ...any) error {
	return &session.Error{Code: session.CodeInvalidParameters, Field: field, Message: fmt.Sprintf(format, args...)}
}
