package session

import (
	"context"
	"errors"
	"time"

	"github.com/livecast/sessions/auth"
)

// ConnectRequest is a $connect as the domain sees it.
type ConnectRequest struct {
	ConnectionID string
	SourceIP     string
	Query        map[string][]string
}

// Welcome kinds: which first message a new connection gets.
const (
	WelcomeCreated   = "created"
	WelcomeJoined    = "joined"
	WelcomeRefreshed = "refreshed"
)

// Welcome describes the first message of an admitted connection. It cannot be
// sent during $connect (API Gateway refuses posts until $connect returns), so
// the router schedules it and hands it back to Service.Welcome afterwards.
type Welcome struct {
	Kind           string        `json:"kind"`
	ConnectionID   string        `json:"connectionId"`
	SessionID      string        `json:"sessionId"`
	Role           Role          `json:"role"`
	TargetLanguage string        `json:"targetLanguage,omitempty"`
	SourceLanguage string        `json:"sourceLanguage,omitempty"`
	QualityTier    string        `json:"qualityTier,omitempty"`
	ExpiresAt      time.Time     `json:"expiresAt"`
	Options        StreamOptions `json:"options"`
	// Replayed is set when this $connect repeats one already admitted: no
	// state changed and the first one's welcome is already on its way.
	Replayed bool `json:"-"`
}

// Connect admits a connection (speaker create, listener join, or refresh of
// either) or refuses it with an *Error. Nothing is stored when it refuses.
func (s *Service) Connect(ctx context.Context, req ConnectRequest) (Welcome, error) {
	p, err := s.parseConnect(req.Query)
	if err != nil {
		return Welcome{}, err
	}
	switch {
	case p.action == ActionCreate:
		return s.create(ctx, req, p)
	case p.action == ActionJoin:
		return s.admitListener(ctx, req, p, WelcomeJoined)
	case p.role == RoleListener:
		return s.admitListener(ctx, req, p, WelcomeRefreshed)
	default:
		return s.refreshSpeaker(ctx, req, p)
	}
}

func (s *Service) create(ctx context.Context, req ConnectRequest, p connectParams) (Welcome, error) {
	now := s.now()
	if err := s.takeConnectionAttempt(ctx, req, false); err != nil {
		return Welcome{}, err
	}
	id, err := s.verify(ctx, p.token)
	if err != nil {
		return Welcome{}, err
	}
	if err := s.take(ctx, "user:"+id.Subject, req.ConnectionID, Limit{Name: "sessionCreations", Max: s.cfg.SessionsPerHour, Window: time.Hour}); err != nil {
		return Welcome{}, err
	}
	speaker := Connection{ID: req.ConnectionID, Role: RoleSpeaker, UserID: id.Subject, ConnectedAt: now, LastSeenAt: now}
	sess := Session{
		SpeakerConnectionID: req.ConnectionID,
		SpeakerUserID:       id.Subject,
		SourceLanguage:      p.sourceLanguage,
		QualityTier:         p.qualityTier,
		Options:             p.options,
		CreatedAt:           now,
		ExpiresAt:           now.Add(s.cfg.SessionMaxDuration),
		Active:              true,
		ByLanguage:          map[string]int{},
		Broadcast:           BroadcastState{Volume: 1},
	}
	for attempt := 1; ; attempt++ {
		if sess.ID, err = s.words.generate(); err != nil {
			return Welcome{}, classify("", err)
		}
		speaker.SessionID = sess.ID
		err = s.store.CreateSession(ctx, sess, speaker)
		switch {
		case err == nil:
			s.log.InfoContext(ctx, "session created", "operation", "createSession", "correlationId", sess.ID, "userId", id.Subject, "sourceLanguage", sess.SourceLanguage, "qualityTier", sess.QualityTier)
			return Welcome{Kind: WelcomeCreated, ConnectionID: req.ConnectionID, SessionID: sess.ID, Role: RoleSpeaker,
				SourceLanguage: sess.SourceLanguage, QualityTier: sess.QualityTier, ExpiresAt: sess.ExpiresAt, Options: sess.Options}, nil
		case errors.Is(err, ErrDuplicateConnection):
			return s.replayed(ctx, req), nil
		case errors.Is(err, ErrSessionIDTaken) && attempt < s.cfg.MaxSessionIDAttempts:
			continue
		case errors.Is(err, ErrSessionIDTaken):
			return Welcome{}, &Error{Code: CodeServiceUnavailable, Message: "Could not allocate a session id, try again", Err: err}
		default:
			return Welcome{}, classify("", err)
		}
	}
}

// admitListener joins a listener, or re-admits one whose connection is being
// refreshed: a refresh skips the capacity check because the old connection
// still counts until it closes (SPEC R11 allows the overlap).
func (s *Service) admitListener(ctx context.Context, req ConnectRequest, p connectParams, kind string) (Welcome, error) {
	refresh := kind == WelcomeRefreshed
	if err := s.takeConnectionAttempt(ctx, req, !refresh); err != nil {
		return Welcome{}, withSession(err, p.sessionID)
	}
	now := s.now()
	conn := Connection{ID: req.ConnectionID, SessionID: p.sessionID, Role: RoleListener, TargetLanguage: p.targetLanguage, ConnectedAt: now, LastSeenAt: now}
	capacity := s.cfg.MaxListenersPerSession
	if refresh {
		capacity = 0
	}
	err := s.store.AdmitListener(ctx, conn, capacity, now)
	switch {
	case err == nil:
	case errors.Is(err, ErrDuplicateConnection):
		return s.replayed(ctx, req), nil
	case errors.Is(err, ErrSessionFull):
		s.log.WarnContext(ctx, "session at capacity", "operation", "joinSession", "correlationId", p.sessionID, "errorCode", CodeSessionFull, "capacity", capacity)
		return Welcome{}, classify(p.sessionID, err)
	default:
		return Welcome{}, classify(p.sessionID, err)
	}
	return Welcome{Kind: kind, ConnectionID: req.ConnectionID, SessionID: p.sessionID, Role: RoleListener, TargetLanguage: p.targetLanguage}, nil
}

func (s *Service) refreshSpeaker(ctx context.Context, req ConnectRequest, p connectParams) (Welcome, error) {
	if err := s.takeConnectionAttempt(ctx, req, false); err != nil {
		return Welcome{}, withSession(err, p.sessionID)
	}
	id, err := s.verify(ctx, p.token)
	if err != nil {
		return Welcome{}, withSession(err, p.sessionID)
	}
	now := s.now()
	conn := Connection{ID: req.ConnectionID, SessionID: p.sessionID, Role: RoleSpeaker, UserID: id.Subject, ConnectedAt: now, LastSeenAt: now}
	err = s.store.TakeOverSpeaker(ctx, conn, now.Add(s.cfg.SessionMaxDuration), now)
	switch {
	case err == nil:
		s.log.InfoContext(ctx, "speaker connection refreshed", "operation", "refreshConnection", "correlationId", p.sessionID, "userId", id.Subject)
		return Welcome{Kind: WelcomeRefreshed, ConnectionID: req.ConnectionID, SessionID: p.sessionID, Role: RoleSpeaker}, nil
	case errors.Is(err, ErrDuplicateConnection):
		return s.replayed(ctx, req), nil
	default:
		return Welcome{}, classify(p.sessionID, err)
	}
}

func (s *Service) replayed(ctx context.Context, req ConnectRequest) Welcome {
	s.log.InfoContext(ctx, "duplicate $connect ignored", "operation", "connect", "correlationId", HashID(req.ConnectionID))
	return Welcome{ConnectionID: req.ConnectionID, Replayed: true}
}

// verify checks a speaker token; the messages are the ones the original
// clients show their users.
func (s *Service) verify(ctx context.Context, token string) (auth.Claims, error) {
	if token == "" {
		return auth.Claims{}, &Error{Code: CodeUnauthorized, Field: "token", Message: "Missing token"}
	}
	claims, err := s.verifier.Verify(ctx, token)
	switch {
	case err == nil:
		return claims, nil
	case errors.Is(err, auth.ErrTokenExpired):
		return claims, &Error{Code: CodeUnauthorized, Message: "Token expired", Err: err}
	case errors.Is(err, auth.ErrKeysUnavailable):
		return claims, unavailable(err)
	default:
		return claims, &Error{Code: CodeUnauthorized, Message: "Invalid token", Err: err}
	}
}

// takeConnectionAttempt counts a $connect against its source IP, and a join
// too when join is set; both share one item so a join costs one write.
func (s *Service) takeConnectionAttempt(ctx context.Context, req ConnectRequest, join bool) error {
	limits := []Limit{{Name: "connectionAttempts", Max: s.cfg.ConnectionAttemptsPerMin, Window: time.Minute}}
	if join {
		limits = append(limits, Limit{Name: "listenerJoins", Max: s.cfg.ListenerJoinsPerMinute, Window: time.Minute})
	}
	return s.take(ctx, "ip:"+HashID(req.SourceIP), req.ConnectionID, limits...)
}

// take applies rate limits. When only the rate-limit table is missing or
// inaccessible, limits are skipped (SPEC R21: they protect the service, they
// must not take it down), with one warning per outage rather than one per
// request. Any other failure means the database itself is in trouble: the
// request fails at once with 503 instead of waiting on a second timeout.
func (s *Service) take(ctx context.Context, key, member string, limits ...Limit) error {
	err := s.limiter.Take(ctx, key, member, limits, s.now())
	var rl *RateLimitedError
	switch {
	case err == nil:
		if s.limitsDown.CompareAndSwap(true, false) {
			s.log.InfoContext(ctx, "rate limits enforced again", "operation", "rateLimit")
		}
		return nil
	case errors.As(err, &rl):
		s.log.WarnContext(ctx, "rate limit exceeded", "operation", "rateLimit", "limit", rl.Limit, "errorCode", CodeRateLimitExceeded, "retryAfter", rl.RetryAfter)
		return classify("", err)
	case errors.Is(err, ErrLimitsUnavailable):
		if s.limitsDown.CompareAndSwap(false, true) {
			s.log.WarnContext(ctx, "rate limits skipped: rate-limit table unavailable", "operation", "rateLimit", "error", err.Error())
		}
		return nil
	default:
		return classify("", err)
	}
}

func withSession(err error, sessionID string) error {
	var e *Error
	if errors.As(err, &e) && e.SessionID == "" {
		e.SessionID = sessionID
	}
	return err
}

// Welcome sends a new connection its first message, retrying while API
// Gateway still reports the connection as gone (it may not be open yet).
func (s *Service) Welcome(ctx context.Context, w Welcome) error {
	var msg Message
	switch w.Kind {
	case WelcomeCreated:
		msg = SessionCreated{SessionID: w.SessionID, SourceLanguage: w.SourceLanguage, QualityTier: w.QualityTier, ConnectionID: w.ConnectionID, ExpiresAt: w.ExpiresAt, Options: w.Options, Heartbeat: s.cfg.HeartbeatInterval}
	case WelcomeRefreshed:
		msg = RefreshComplete{SessionID: w.SessionID, Role: w.Role, TargetLanguage: w.TargetLanguage, Heartbeat: s.cfg.HeartbeatInterval}
		if w.Role == RoleSpeaker {
			// The new speaker connection starts knowing its audience.
			if sess, err := s.store.GetSession(ctx, w.SessionID); err == nil {
				defer s.notifySpeaker(ctx, sess)
			}
		}
	case WelcomeJoined:
		sess, err := s.store.GetSession(ctx, w.SessionID)
		if err != nil {
			return classify(w.SessionID, err)
		}
		msg = SessionJoined{SessionID: w.SessionID, TargetLanguage: w.TargetLanguage, SourceLanguage: sess.SourceLanguage, ConnectionID: w.ConnectionID, ListenerCount: sess.ListenerCount, Heartbeat: s.cfg.HeartbeatInterval}
		defer s.notifySpeaker(ctx, sess)
	default:
		return &Error{Code: CodeInternal, Message: "unknown welcome kind " + truncate(w.Kind, 32)}
	}
	return s.sendWhenOpen(ctx, w.ConnectionID, msg)
}

func (s *Service) sendWhenOpen(ctx context.Context, connID string, msg Message) error {
	deadline := s.now().Add(s.cfg.WelcomeRetryFor)
	wait := 25 * time.Millisecond
	for {
		err := s.messenger.Send(ctx, connID, msg)
		if !errors.Is(err, ErrConnectionGone) || !s.now().Add(wait).Before(deadline) {
			if err != nil {
				return classify("", err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return classify("", ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 400*time.Millisecond)
	}
}

// notifySpeaker pushes the audience size to the speaker (SPEC X2). Best
// effort: a speaker that is gone is cleaned up by its own $disconnect.
func (s *Service) notifySpeaker(ctx context.Context, sess Session) {
	if !sess.Active || sess.SpeakerConnectionID == "" {
		return
	}
	err := s.messenger.Send(ctx, sess.SpeakerConnectionID, listenerCount(sess))
	if err != nil && !errors.Is(err, ErrConnectionGone) {
		s.log.WarnContext(ctx, "listener count not delivered", "operation", "notifySpeaker", "correlationId", sess.ID, "error", err.Error())
	}
}

func listenerCount(sess Session) ListenerCount {
	by := make(map[string]int, len(sess.ByLanguage))
	for lang, n := range sess.ByLanguage {
		if n > 0 {
			by[lang] = n
		}
	}
	return ListenerCount{SessionID: sess.ID, Total: sess.ListenerCount, ByLanguage: by}
}
