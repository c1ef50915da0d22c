package session

import (
	"context"
	"errors"
)

// ChangeLanguage switches a listener to another target language without a
// new connection; the speaker's per-language counts follow. The record and
// the counts change in one transaction, so a retried or repeated request
// cannot move the count twice.
func (s *Service) ChangeLanguage(ctx context.Context, connectionID, lang string) error {
	if lang == "" {
		return invalidParam("targetLanguage", "Missing required parameter: targetLanguage")
	}
	if err := s.checkTargetLanguage(lang); err != nil {
		return err
	}
	conn, err := s.conns.Get(ctx, connectionID)
	if err != nil {
		return classify("", err)
	}
	if conn.Role != RoleListener {
		return &Error{Code: CodeForbidden, Message: "Only listeners can change language", SessionID: conn.SessionID}
	}
	if conn.TargetLanguage != lang {
		err := s.conns.SwitchLanguage(ctx, conn, lang)
		if err != nil && !errors.Is(err, ErrReplayed) {
			return classify(conn.SessionID, err)
		}
		s.audiences.forget(conn.SessionID, conn.TargetLanguage, lang)
		if sess, err := s.sessions.Get(ctx, conn.SessionID); err == nil {
			// The switch's transaction returns nothing, so the edges are read
			// after it: a change made meanwhile by another write that also
			// crossed an edge was published by that write, with its version.
			if languageEdge(sess, conn.TargetLanguage, false) || languageEdge(sess, lang, true) {
				s.publishLanguages(ctx, sess)
			}
			defer s.notifySpeaker(ctx, sess.ID, audienceOf(sess))
		}
	}
	return classify(conn.SessionID, s.messenger.Send(ctx, connectionID, LanguageChanged{SessionID: conn.SessionID, TargetLanguage: lang}))
}
