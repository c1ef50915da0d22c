package session

import (
	"context"
	"errors"
)

// sweepSessions ends the sessions that are over, opens the reconnect window of
// speakers found gone or silent, and returns the sessions still running.
func (sw sweep) sweepSessions(ctx context.Context, live []Session) map[string]Session {
	running := map[string]Session{}
	for _, sess := range live {
		speaker, present := sw.byID[sess.SpeakerConnectionID]
		switch {
		case !sw.now.Before(sess.ExpiresAt):
			sw.end(ctx, sess, ReasonExpired, speaker, present)
		case !sess.SpeakerConnected() && !sw.now.Before(sess.ReconnectDeadline):
			sw.end(ctx, sess, ReasonSpeakerDisconnected, speaker, present)
		case sess.SpeakerConnected() && (!present || sw.silent(speaker)):
			if present {
				sw.closeConnection(ctx, speaker)
			}
			if err := sw.speakerLost(ctx, Connection{ID: sess.SpeakerConnectionID, SessionID: sess.ID, Role: RoleSpeaker}); err != nil {
				sw.failed(ctx, "open the speaker's reconnect window", sess.ID, err)
			}
			sw.rep.SpeakersLost++
			running[sess.ID] = sess
		default:
			running[sess.ID] = sess
		}
	}
	return running
}

// end ends a session for reason; a speaker still connected hears why
// before its connection closes. If the session changed since the sweep read
// it (its speaker refreshed, or it ended meanwhile), nothing happens: the
// refreshing speaker's old connection must not hear that it ended.
func (sw sweep) end(ctx context.Context, sess Session, reason string, speaker Connection, present bool) {
	ended, version, err := sw.endSession(ctx, sess.ID, sess.SpeakerConnectionID, reason)
	if err != nil {
		sw.failed(ctx, "end session", sess.ID, err)
		return
	}
	if !ended {
		return
	}
	if present {
		if err := sw.messenger.Send(ctx, speaker.ID, SessionEnded{SessionID: sess.ID, Reason: reason, StateVersion: version}); err != nil && !errors.Is(err, ErrConnectionGone) {
			sw.rep.Failures++
		}
		sw.closeConnection(ctx, speaker)
	}
	sw.rep.Ended++
}

// closeConnection removes a connection's record, then closes it through
// @connections (gone already is fine). It reports whether this call removed
// the record, i.e. owns the cleanup.
func (sw sweep) closeConnection(ctx context.Context, c Connection) bool {
	_, err := sw.conns.Remove(ctx, c.ID)
	removed := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		sw.rep.Failures++
	}
	sw.disconnect(ctx, c)
	return removed
}

func (sw sweep) disconnect(ctx context.Context, c Connection) {
	if err := sw.messenger.Disconnect(ctx, c.ID); err != nil && !errors.Is(err, ErrConnectionGone) {
		sw.failed(ctx, "close connection", c.SessionID, err)
	}
}
