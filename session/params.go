package session

import (
	"unicode/utf8"
)

// Connect actions of the query string.
const (
	ActionCreate  = "createSession"
	ActionJoin    = "joinSession"
	ActionRefresh = "refreshConnection"
)

// connectParams is a ConnectRequest whose values the domain has checked.
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

// checkConnect holds a parsed $connect to the domain's rules: supported
// languages, the form of a session id, quality tiers, the stream options'
// ranges and defaults. The router has already parsed the wire (which
// parameters each action takes, one well-formed value each).
func (s *Service) checkConnect(req ConnectRequest) (connectParams, error) {
	p := connectParams{action: req.Action, token: req.Token, sourceLanguage: req.SourceLanguage, qualityTier: req.QualityTier,
		sessionID: req.SessionID, targetLanguage: req.TargetLanguage, role: req.Role, resumeToken: req.ResumeToken}
	var err *Error
	switch {
	case req.Action == "":
		err = missing("action")
	case req.Action == ActionCreate:
		err = s.checkCreate(req, &p)
	case req.Action == ActionJoin:
		err = s.checkListener(req)
	case req.Action != ActionRefresh:
		err = &Error{Code: CodeInvalidAction, Field: "action", Message: "Unknown action: " + Truncate(req.Action, 64)}
	case req.Role == "":
		err = missing("role")
	case req.Role == RoleListener:
		err = s.checkListener(req)
	case req.Role == RoleSpeaker:
		err = s.checkSessionID(req.SessionID)
	default:
		err = invalidParam("role", "role must be speaker or listener")
	}
	if err != nil {
		return p, err
	}
	return p, nil
}

// checkListener checks a listener's session and language.
func (s *Service) checkListener(req ConnectRequest) *Error {
	if err := s.checkSessionID(req.SessionID); err != nil {
		return err
	}
	if req.TargetLanguage == "" {
		return missing("targetLanguage")
	}
	if err := s.checkTargetLanguage(req.TargetLanguage); err != nil {
		err.SessionID = req.SessionID
		return err
	}
	return nil
}

// missing is the refusal of a required value that is empty. The router
// refuses those first; the domain does not rely on it.
func missing(name string) *Error {
	return invalidParam(name, "Missing required parameter: %s", name)
}

func (s *Service) checkCreate(req ConnectRequest, p *connectParams) *Error {
	switch {
	case req.SourceLanguage == "":
		return missing("sourceLanguage")
	case req.QualityTier == "":
		return missing("qualityTier")
	}
	if !iso6391.MatchString(req.SourceLanguage) || !s.sourceLangs[req.SourceLanguage] {
		return &Error{Code: CodeInvalidLanguage, Field: "sourceLanguage", Message: "Unsupported source language: " + Truncate(req.SourceLanguage, 16)}
	}
	if req.QualityTier != "standard" && req.QualityTier != "premium" {
		return invalidParam("qualityTier", "qualityTier must be standard or premium")
	}
	var err *Error
	p.options, err = req.Options.resolve()
	return err
}

// StreamOptionsRequest are the original clients' optional transcription
// settings as the speaker sent them; nil means not given.
type StreamOptionsRequest struct {
	PartialResults   *bool
	MinStability     *float64
	MaxBufferTimeout *float64
}

// resolve applies the defaults and the ranges of docs/PROTOCOL.md.
func (r StreamOptionsRequest) resolve() (StreamOptions, *Error) {
	o := StreamOptions{PartialResults: true, MinStability: 0.85, MaxBufferTimeout: 5}
	if r.PartialResults != nil {
		o.PartialResults = *r.PartialResults
	}
	var err *Error
	if o.MinStability, err = inRange("minStability", r.MinStability, o.MinStability, 0.70, 0.95); err != nil {
		return o, err
	}
	if o.MaxBufferTimeout, err = inRange("maxBufferTimeout", r.MaxBufferTimeout, o.MaxBufferTimeout, 2, 10); err != nil {
		return o, err
	}
	return o, nil
}

func inRange(name string, v *float64, def, lo, hi float64) (float64, *Error) {
	if v == nil {
		return def, nil
	}
	if f := *v; f < lo || f > hi || f != f {
		return def, invalidParam(name, "%s must be a number from %g to %g", name, lo, hi)
	}
	return *v, nil
}

func (s *Service) checkSessionID(id string) *Error {
	if id == "" {
		return missing("sessionId")
	}
	if !s.words.valid(id) {
		return &Error{Code: CodeInvalidSessionID, Field: "sessionId", SessionID: Truncate(id, 64), Message: "Session id must look like faithful-shepherd-427"}
	}
	return nil
}

func (s *Service) checkTargetLanguage(lang string) *Error {
	if !iso6391.MatchString(lang) || !s.targetLangs[lang] {
		return &Error{Code: CodeUnsupportedLanguage, Field: "targetLanguage", Message: "Unsupported target language: " + Truncate(lang, 16)}
	}
	return nil
}

// Truncate bounds untrusted text echoed back in errors and logs, cutting
// at a rune boundary; the router uses it for the values it refuses.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
