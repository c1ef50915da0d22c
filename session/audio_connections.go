package session

import (
	"context"
	"errors"
	"time"
)

// audioConnection is what one connection's chunks share.
type audioConnection struct {
	window      time.Time // start of the current one-second window
	inWindow    int
	bytesIn     int   // decoded audio admitted in the window
	warned      bool  // RATE_LIMIT_EXCEEDED already sent in this window
	assignedSeq int64 // last sequence assigned to a chunk without one, without AudioSequences
	lastUsed    time.Time

	sessionID string // what the cached read is about
	read      sessionRead
	readAt    time.Time
	hasRead   bool
	// generation changes with every ForgetSession, so a read that started
	// before a pause cannot put the old state back.
	generation uint64
}

// sessionRead is the part of a session read the checks need: a refusal
// (not found) is cached like a success, so repeated bad frames cost no reads.
type sessionRead struct {
	session Session
	err     error
}

// admit counts the chunk, and its bytes (at most what its base64 decodes
// to), in its connection's one-second window. Over either limit, the first
// chunk gets RATE_LIMIT_EXCEEDED and later ones in the same window report
// throttled without an error; a refused chunk's bytes do not count.
func (a *AudioIngress) admit(connectionID, sessionID string, bytes int, now time.Time) (throttled bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.connection(connectionID, now)
	if now.Sub(c.window) >= time.Second || now.Before(c.window) {
		c.window, c.inWindow, c.bytesIn, c.warned = now, 0, 0, false
	}
	c.inWindow++
	if c.inWindow <= a.cfg.ChunksPerSecond && c.bytesIn+bytes <= a.cfg.BytesPerSecond {
		c.bytesIn += bytes
		return false, nil
	}
	if c.warned {
		return true, nil
	}
	c.warned = true
	return false, &Error{Code: CodeRateLimitExceeded, Message: "Too many audio chunks", RetryAfter: 1, SessionID: sessionID}
}

// connection returns the state of connectionID, creating it; the caller
// holds a.mu. Connections whose $disconnect reached another instance are
// pruned once idle for a while.
func (a *AudioIngress) connection(connectionID string, now time.Time) *audioConnection {
	idle := max(a.cfg.SessionCacheFor, time.Minute)
	if now.Sub(a.lastPrune) >= idle {
		for id, c := range a.conns {
			if now.Sub(c.lastUsed) >= idle {
				delete(a.conns, id)
			}
		}
		a.lastPrune = now
	}
	c := a.conns[connectionID]
	if c == nil {
		c = &audioConnection{}
		a.conns[connectionID] = c
	}
	c.lastUsed = now
	return c
}

// session returns the session a connection sends to, from its cache while
// fresh. Unavailability is not cached: the next chunk tries again.
func (a *AudioIngress) session(ctx context.Context, connectionID, sessionID string, now time.Time) (Session, error) {
	a.mu.Lock()
	c := a.connection(connectionID, now)
	if c.hasRead && c.sessionID == sessionID && now.Sub(c.readAt) < a.cfg.SessionCacheFor && !now.Before(c.readAt) {
		r := c.read
		a.mu.Unlock()
		return r.session, r.err
	}
	generation := c.generation
	a.mu.Unlock()

	sess, err := a.sessions.Get(ctx, sessionID)
	var read sessionRead
	switch {
	case err == nil:
		read = sessionRead{session: sess}
	case errors.Is(err, ErrNotFound):
		read = sessionRead{err: notFound(sessionID, err)}
	default:
		return Session{}, classify(sessionID, err)
	}
	a.mu.Lock()
	if c := a.conns[connectionID]; c != nil && c.generation == generation {
		c.sessionID, c.read, c.readAt, c.hasRead = sessionID, read, now, true
	}
	a.mu.Unlock()
	return read.session, read.err
}

// nextSequence numbers a chunk the speaker sent without a sequence: from
// the session's counter (AudioSequences), or, without one, per connection in
// this process.
func (a *AudioIngress) nextSequence(ctx context.Context, connectionID, sessionID string) (int64, error) {
	if a.sequences != nil {
		return a.sequences.NextAudioSequence(ctx, sessionID)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.connection(connectionID, a.now())
	c.assignedSeq++
	return c.assignedSeq, nil
}
