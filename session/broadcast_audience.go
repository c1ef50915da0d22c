package session

import (
	"context"
	"slices"
	"sync"
	"time"
)

// audiences keeps, per session and language, the listeners a broadcast read
// from the listeners index, for Config.AudienceCacheFor. The audio pipeline
// broadcasts every chunk of every language, 4–10 times a second per
// session: reading the index each time would cost a Query per chunk and
// language, most of the broadcast's cost.
//
// What the cache costs in freshness, and how it is kept small:
//   - a listener seated or moved to the language by this instance drops the
//     entry, so it is heard at the next chunk; seated by another instance
//     (AWS runs many), it is heard within AudienceCacheFor;
//   - a listener who left is taken out of the entry at its first 410, so a
//     leave costs one failed post, not one per chunk;
//   - an ending in this instance drops its session's entries.
type audiences struct {
	mu        sync.Mutex
	entries   map[audienceKey]audienceEntry
	lastPrune time.Time
}

type audienceKey struct{ sessionID, lang string }

type audienceEntry struct {
	listeners []Connection // reachable ones only: no held seats
	readAt    time.Time
}

func newAudiences() *audiences {
	return &audiences{entries: map[audienceKey]audienceEntry{}}
}

// get returns a fresh entry's listeners.
func (a *audiences) get(key audienceKey, now time.Time, ttl time.Duration) ([]Connection, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.entries[key]
	if !ok || now.Sub(e.readAt) >= ttl || now.Before(e.readAt) {
		return nil, false
	}
	return e.listeners, true
}

// put stores what was read at readAt and prunes stale entries now and then,
// so sessions that ended elsewhere do not stay in memory.
func (a *audiences) put(key audienceKey, listeners []Connection, readAt time.Time, ttl time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if readAt.Sub(a.lastPrune) >= time.Minute {
		for k, e := range a.entries {
			if readAt.Sub(e.readAt) >= ttl {
				delete(a.entries, k)
			}
		}
		a.lastPrune = readAt
	}
	a.entries[key] = audienceEntry{listeners: listeners, readAt: readAt}
}

// dropGone takes connections @connections reported gone out of key's entry.
// The entry's slice is replaced, never changed: a broadcast may be reading it.
func (a *audiences) dropGone(key audienceKey, gone []Connection) {
	if len(gone) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.entries[key]
	if !ok {
		return
	}
	e.listeners = slices.DeleteFunc(slices.Clone(e.listeners), func(c Connection) bool {
		return slices.ContainsFunc(gone, func(g Connection) bool { return g.ID == c.ID })
	})
	a.entries[key] = e
}

// forget drops the entries of sessionID in the given languages, or in all
// of them when none is given.
func (a *audiences) forget(sessionID string, langs ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k := range a.entries {
		if k.sessionID == sessionID && (len(langs) == 0 || slices.Contains(langs, k.lang)) {
			delete(a.entries, k)
		}
	}
}

// audience returns the reachable listeners of (sessionID, lang) for a
// broadcast, from the cache while fresh.
func (s *Service) audience(ctx context.Context, key audienceKey) ([]Connection, error) {
	now := s.now()
	if listeners, ok := s.audiences.get(key, now, s.cfg.AudienceCacheFor); ok {
		return listeners, nil
	}
	listeners, err := s.conns.Audience(ctx, key.sessionID, key.lang)
	if err != nil {
		return nil, err
	}
	open := connected(listeners)
	s.audiences.put(key, open, now, s.cfg.AudienceCacheFor)
	return open, nil
}
