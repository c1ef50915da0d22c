package store

import (
	"context"
	"time"

	"github.com/livecast/sessions/session"
)

// audioSequenceKey is the Sessions item that holds a session's audio
// sequence counter: an item of its own rather than an attribute of the
// session item, which is the hot key of a join storm (a speaker's 4-10
// chunks a second would queue behind the joins, and conflict with the
// transactions that hold it). Session ids never contain '#', and the item
// has no "live" attribute, so no session read or sweep ever sees it.
func audioSequenceKey(sessionID string) string { return sessionID + "#audio" }

const attrAudioSequence = "audioSequence"

var _ session.AudioSequences = (*Sessions)(nil)

// NextAudioSequence adds one to the session's counter and returns the new
// value: one single-item write, atomic whichever instance makes it. The
// counter expires like a connection item, counted from its last use; a
// speaker silent for longer than that starts again from 1, a restart the
// record's receivedAt tells apart (docs/PROTOCOL.md, "The audio stream").
func (s *Sessions) NextAudioSequence(ctx context.Context, sessionID string) (int64, error) {
	var out struct {
		N int64 `dynamo:"audioSequence"`
	}
	ttl := time.Now().Add(s.cfg.ConnectionMaxDuration + s.cfg.RetentionBuffer).Unix()
	err := s.sessions.Update(attrSessionID, audioSequenceKey(sessionID)).
		Add(attrAudioSequence, 1).
		Set(attrTTL, ttl).
		Value(ctx, &out)
	if err != nil {
		return 0, failure("next audio sequence", err)
	}
	return out.N, nil
}
