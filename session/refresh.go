package session

import (
	"context"
	"errors"
	"slices"
)

// refreshSpeaker moves a session to a new connection of its speaker: before
// API Gateway's two-hour wall, or to come back within the reconnect window
// after the old connection was lost.
func (s *Service) refreshSpeaker(ctx context.Context, req ConnectRequest, p connectParams) (Welcome, error) {
	if err := s.takeConnectionAttempt(ctx, req); err != nil {
		return Welcome{}, withSession(err, p.sessionID)
	}
	id, err := s.verify(ctx, p.token)
	if err != nil {
		return Welcome{}, withSession(err, p.sessionID)
	}
	now := s.now()
	conn := Connection{ID: req.ConnectionID, SessionID: p.sessionID, Role: RoleSpeaker, UserID: id.UserID, ConnectedAt: now, LastSeenAt: now, SourceIPHash: HashID(req.SourceIP)}
	before, err := s.sessions.TakeOverSpeaker(ctx, conn, now.Add(s.cfg.SessionMaxDuration), now)
	switch {
	case errors.Is(err, ErrDuplicateConnection):
		return s.replayed(ctx, req), nil
	case err != nil:
		return Welcome{}, classify(p.sessionID, err)
	}
	s.log.InfoContext(ctx, "speaker connection refreshed", "operation", "refreshConnection", "correlationId", p.sessionID, "userId", id.UserID, "returned", !before.SpeakerConnected())
	a := audienceOf(before)
	a.SpeakerConnectionID = req.ConnectionID
	w := Welcome{Kind: WelcomeRefreshed, ConnectionID: req.ConnectionID, SessionID: p.sessionID, Role: RoleSpeaker, Audience: &a}
	if before.SpeakerConnectionID != req.ConnectionID {
		// One speaker connection at a time: the one replaced (still open
		// before the two-hour wall, or half-open after a loss) goes once the
		// new one is welcomed. Its $disconnect ends nothing: it is not the
		// speaker any more.
		w.Replaces = before.SpeakerConnectionID
	}
	if !before.SpeakerConnected() {
		w.Return = &SpeakerReturn{Resumed: before.GapPaused && !before.Broadcast.Paused, Broadcast: before.Broadcast, StateVersion: before.StateVersion}
		if w.Return.Resumed {
			// Here, before the welcome: the speaker's audio cannot precede it.
			s.publishPause(ctx, p.sessionID, false, ResumeSpeakerReconnects, before.StateVersion)
		}
	}
	return w, nil
}

// refreshListener admits a listener's new connection. With a resume token it
// takes back the token's seat, even at a full session. Without one it counts
// against capacity like a join, unless the session is full and it can be
// matched to the connection it replaces: an original client refreshing
// before the wall (same session, language and address, a connection already
// asked to refresh). Capacity has no other door, and neither have the
// limits: a token-less refresh passes every one a join passes (it may take
// a new seat; an attacker used it as a second door), a resume only the
// flood ceiling (it takes back a seat of its own).
func (s *Service) refreshListener(ctx context.Context, req ConnectRequest, p connectParams) (Welcome, error) {
	conn := s.newListener(req, p)
	if p.resumeToken != "" {
		if err := s.takeConnectionAttempt(ctx, req); err != nil {
			return Welcome{}, withSession(err, p.sessionID)
		}
		return s.resume(ctx, req, p, conn)
	}
	if err := s.takeNewSeat(ctx, req, p.sessionID); err != nil {
		return Welcome{}, withSession(err, p.sessionID)
	}
	st, err := s.admit(ctx, conn)
	switch {
	case errors.Is(err, ErrDuplicateConnection):
		return s.replayed(ctx, req), nil
	case errors.Is(err, ErrSessionFull) && s.registered(ctx, req.ConnectionID):
		return s.replayed(ctx, req), nil
	case errors.Is(err, ErrSessionFull):
		return s.replaceRefreshing(ctx, req, p, conn, err)
	case err != nil:
		return Welcome{}, classify(p.sessionID, err)
	}
	s.audiences.forget(p.sessionID, p.targetLanguage)
	return s.listenerWelcome(WelcomeRefreshed, req, p, st), nil
}

// resume takes a seat back with its single-use token.
func (s *Service) resume(ctx context.Context, req ConnectRequest, p connectParams, conn Connection) (Welcome, error) {
	oldID, hash, ok := parseResumeToken(p.resumeToken)
	if !ok {
		return Welcome{}, &Error{Code: CodeInvalidParameters, Field: "resumeToken", SessionID: p.sessionID, Message: "resumeToken is malformed"}
	}
	token, newHash, err := newResumeToken(conn.ID)
	if err != nil {
		return Welcome{}, classify(p.sessionID, err)
	}
	conn.ResumeHash = newHash
	old := Connection{ID: oldID, SessionID: p.sessionID, TargetLanguage: p.targetLanguage, ResumeHash: hash}
	switch err := s.conns.Reclaim(ctx, old, conn, s.now()); {
	case errors.Is(err, ErrDuplicateConnection):
		return s.replayed(ctx, req), nil
	case errors.Is(err, ErrResumeRefused) && !s.sessionLive(ctx, p.sessionID):
		// The seat went with its session: say so, not "bad token".
		return Welcome{}, notFound(p.sessionID, err)
	case err != nil:
		return Welcome{}, classify(p.sessionID, err)
	}
	// The seat is no longer held against the address it was lost from.
	s.forgetHeld(ctx, p.sessionID, oldID)
	s.log.InfoContext(ctx, "listener seat resumed", "operation", "refreshConnection", "correlationId", p.sessionID, "targetLanguage", p.targetLanguage)
	s.audiences.forget(p.sessionID, p.targetLanguage)
	// The old connection may still be open (the client noticed the loss
	// before the service did, or refreshes before the wall): it no longer
	// has a seat, so it goes once the new one is welcomed.
	w := s.listenerWelcome(WelcomeRefreshed, req, p, seat{resumeToken: token})
	w.Replaces = oldID
	return w, nil
}

// sessionLive reads whether a session is live (refusal paths only).
func (s *Service) sessionLive(ctx context.Context, id string) bool {
	sess, err := s.sessions.Get(ctx, id)
	return err == nil && sess.Live(s.now())
}

// replaceRefreshing lets a token-less refresh into a full session only in
// place of the connection it refreshes; full is the refusal otherwise.
func (s *Service) replaceRefreshing(ctx context.Context, req ConnectRequest, p connectParams, conn Connection, full error) (Welcome, error) {
	listeners, err := s.conns.Listeners(ctx, p.sessionID, p.targetLanguage)
	if err != nil {
		return Welcome{}, classify(p.sessionID, err)
	}
	askedBefore := s.now().Add(-s.cfg.RefreshAfter)
	candidates := slices.DeleteFunc(listeners, func(c Connection) bool {
		return c.ID == conn.ID || c.Held() || c.SourceIPHash != conn.SourceIPHash || c.ConnectedAt.After(askedBefore)
	})
	if len(candidates) == 0 {
		return Welcome{}, classify(p.sessionID, full)
	}
	old := slices.MinFunc(candidates, func(a, b Connection) int { return a.ConnectedAt.Compare(b.ConnectedAt) })
	token, hash, err := newResumeToken(conn.ID)
	if err != nil {
		return Welcome{}, classify(p.sessionID, err)
	}
	conn.ResumeHash = hash
	switch err := s.conns.Replace(ctx, old, conn); {
	case errors.Is(err, ErrDuplicateConnection):
		return s.replayed(ctx, req), nil
	case errors.Is(err, ErrNotFound):
		// Another refresh took that one first.
		return Welcome{}, classify(p.sessionID, full)
	case err != nil:
		return Welcome{}, classify(p.sessionID, err)
	}
	s.log.InfoContext(ctx, "listener connection replaced at capacity", "operation", "refreshConnection", "correlationId", p.sessionID, "targetLanguage", p.targetLanguage)
	s.audiences.forget(p.sessionID, p.targetLanguage)
	// The replaced connection has no seat now: it is closed once the new
	// one is welcomed rather than left open hearing nothing (the original
	// client closes it itself a moment later; a second client behind the
	// same address would not).
	w := s.listenerWelcome(WelcomeRefreshed, req, p, seat{resumeToken: token})
	w.Replaces = old.ID
	return w, nil
}

// closeReplaced closes a connection whose seat (or speakership) another
// connection took: one seat, one open connection. The welcome of the new
// connection does it, after the welcome is sent: a broadcast that read the
// audience just before the swap still reaches the old connection, which the
// client keeps until then, so no change falls between the two. A connection already gone
// is fine; a failure is logged, and the sweep finds the connection without a
// record and closes it.
func (s *Service) closeReplaced(ctx context.Context, sessionID, connectionID string) {
	if connectionID == "" {
		return
	}
	if err := s.messenger.Disconnect(ctx, connectionID); err != nil && !errors.Is(err, ErrConnectionGone) {
		s.log.WarnContext(ctx, "replaced connection not closed", "operation", "refreshConnection", "correlationId", sessionID, "error", err.Error())
	}
}
