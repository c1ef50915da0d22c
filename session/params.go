package session

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Connect actions of the query string.
const (
	ActionCreate  = "createSession"
	ActionJoin    = "joinSession"
	ActionRefresh = "refreshConnection"
)

// Bounds on query values: a token is a few KB, everything else is short.
const (
	maxTokenLen = 8192
	maxValueLen = 256
)

// connectParams is a validated $connect query.
type connectParams struct {
	action         string
	token          string
	sourceLanguage string
	qualityTier    string
	sessionID      string
	targetLanguage string
	role           Role
	options        StreamOptions
	resumeToken    string // listener refresh (v1.1), optional
}

// query gives single, well-formed values out of a multi-valued query.
type query map[string][]string

// get returns the one value of name, "" when absent. A repeated, over-long or
// oddly encoded value is refused rather than guessed at: the client that sent
// it has a bug the user should hear about.
func (q query) get(name string) (string, *Error) {
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

func (q query) require(name string) (string, *Error) {
	v, err := q.get(name)
	if err == nil && v == "" {
		err = invalidParam(name, "Missing required parameter: %s", name)
	}
	return v, err
}

func (s *Service) parseConnect(raw map[string][]string) (connectParams, error) {
	q := query(raw)
	var p connectParams
	var err *Error
	if p.action, err = q.require("action"); err != nil {
		return p, err
	}
	switch p.action {
	case ActionCreate:
		err = s.parseCreate(q, &p)
	case ActionJoin:
		err = s.parseJoin(q, &p)
	case ActionRefresh:
		err = s.parseRefresh(q, &p)
	default:
		return p, &Error{Code: CodeInvalidAction, Field: "action", Message: "Unknown action: " + truncate(p.action, 64)}
	}
	if err != nil {
		return p, err
	}
	return p, nil
}

func (s *Service) parseCreate(q query, p *connectParams) *Error {
	var err *Error
	if p.sourceLanguage, err = q.require("sourceLanguage"); err != nil {
		return err
	}
	if !iso6391.MatchString(p.sourceLanguage) || !s.sourceLangs[p.sourceLanguage] {
		return &Error{Code: CodeInvalidLanguage, Field: "sourceLanguage", Message: "Unsupported source language: " + truncate(p.sourceLanguage, 16)}
	}
	if p.qualityTier, err = q.require("qualityTier"); err != nil {
		return err
	}
	if p.qualityTier != "standard" && p.qualityTier != "premium" {
		return invalidParam("qualityTier", "qualityTier must be standard or premium")
	}
	if p.options, err = parseStreamOptions(q); err != nil {
		return err
	}
	p.token, err = q.get("token")
	return err
}

// parseStreamOptions reads the original clients' optional transcription
// settings, with their defaults.
func parseStreamOptions(q query) (StreamOptions, *Error) {
	o := StreamOptions{PartialResults: true, MinStability: 0.85, MaxBufferTimeout: 5}
	if v, err := q.get("partialResults"); err != nil {
		return o, err
	} else if v != "" {
		b, perr := strconv.ParseBool(v)
		if perr != nil || (v != "true" && v != "false") {
			return o, invalidParam("partialResults", "partialResults must be true or false")
		}
		o.PartialResults = b
	}
	var err *Error
	if o.MinStability, err = floatParam(q, "minStability", o.MinStability, 0.70, 0.95); err != nil {
		return o, err
	}
	if o.MaxBufferTimeout, err = floatParam(q, "maxBufferTimeout", o.MaxBufferTimeout, 2, 10); err != nil {
		return o, err
	}
	return o, nil
}

func floatParam(q query, name string, def, lo, hi float64) (float64, *Error) {
	v, err := q.get(name)
	if err != nil || v == "" {
		return def, err
	}
	f, perr := strconv.ParseFloat(v, 64)
	if perr != nil || f < lo || f > hi || f != f {
		return def, invalidParam(name, "%s must be a number from %g to %g", name, lo, hi)
	}
	return f, nil
}

func (s *Service) parseJoin(q query, p *connectParams) *Error {
	var err *Error
	if p.sessionID, err = s.sessionIDParam(q); err != nil {
		return err
	}
	p.targetLanguage, err = s.targetLanguageParam(q, p.sessionID)
	return err
}

func (s *Service) parseRefresh(q query, p *connectParams) *Error {
	role, err := q.require("role")
	if err != nil {
		return err
	}
	p.role = Role(role)
	if p.sessionID, err = s.sessionIDParam(q); err != nil {
		return err
	}
	switch p.role {
	case RoleSpeaker:
		p.token, err = q.get("token")
	case RoleListener:
		if p.targetLanguage, err = s.targetLanguageParam(q, p.sessionID); err != nil {
			return err
		}
		p.resumeToken, err = q.get("resumeToken")
	default:
		err = invalidParam("role", "role must be speaker or listener")
	}
	return err
}

func (s *Service) sessionIDParam(q query) (string, *Error) {
	id, err := q.require("sessionId")
	if err != nil {
		return "", err
	}
	if !s.words.valid(id) {
		return "", &Error{Code: CodeInvalidSessionID, Field: "sessionId", SessionID: truncate(id, 64), Message: "Session id must look like faithful-shepherd-427"}
	}
	return id, nil
}

func (s *Service) targetLanguageParam(q query, sessionID string) (string, *Error) {
	lang, err := q.require("targetLanguage")
	if err != nil {
		return "", err
	}
	if err := s.checkTargetLanguage(lang); err != nil {
		err.SessionID = sessionID
		return "", err
	}
	return lang, nil
}

func (s *Service) checkTargetLanguage(lang string) *Error {
	if !iso6391.MatchString(lang) || !s.targetLangs[lang] {
		return &Error{Code: CodeUnsupportedLanguage, Field: "targetLanguage", Message: "Unsupported target language: " + truncate(lang, 16)}
	}
	return nil
}

// truncate bounds untrusted text echoed back in errors and logs.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
