package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"
)

// scenarioSustain: many full sessions whose every connection heartbeats for
// a while with the sweep running; then every connection refreshes (a new
// socket, then the old one closed with 1000, as the original clients do;
// listeners with their resumeToken, as the sessions are full); then the
// speakers leave.
func (b *bench) scenarioSustain(ctx context.Context) error {
	const sc = "sustain"
	f := b.flags
	interval := f.heartbeatInterval
	timeout := max(90*time.Second, 3*interval)
	s, err := b.startSystem(ctx, sc, map[string]string{
		"MAX_LISTENERS_PER_SESSION":  fmt.Sprint(f.perSession),
		"HEARTBEAT_INTERVAL_SECONDS": fmt.Sprint(interval.Seconds()),
		"HEARTBEAT_TIMEOUT_SECONDS":  fmt.Sprint(timeout.Seconds()),
		"SWEEP_INTERVAL_SECONDS":     "60",
	})
	if err != nil {
		return err
	}
	defer s.close()

	b.rec.setPhase("sustain_setup")
	speakers := make([]*client, f.sessions)
	subs := make([]string, f.sessions)
	if err := firstErrors(parallel(f.sessions, f.dialConcurrency, func(i int) error {
		subs[i] = fmt.Sprintf("sustain-speaker-%d", i)
		tok, err := s.tokenFor(subs[i])
		if err != nil {
			return err
		}
		c, err := dial(ctx, s.url(), query("action", "createSession", "sourceLanguage", "en", "qualityTier", "premium", "token", tok))
		if err != nil {
			return err
		}
		speakers[i] = c
		return c.waitCount("sessionCreated", 1, 30*time.Second)
	})); err != nil {
		return fmt.Errorf("creations: %w", err)
	}
	ids := make([]string, f.sessions)
	for i, c := range speakers {
		ids[i] = c.sessionID
	}
	type member struct {
		session int
		lang    string
		c       *client
	}
	members := make([]member, f.sessions*f.perSession)
	if err := firstErrors(parallel(len(members), f.dialConcurrency, func(i int) (err error) {
		m := member{session: i % f.sessions, lang: languages[i%len(languages)]}
		m.c, err = s.listener(ctx, ids[m.session], m.lang)
		members[i] = m
		return err
	})); err != nil {
		return fmt.Errorf("joins: %w", err)
	}
	b.expect(sc, "a join to a full session gets SESSION_FULL", firstErrors(parallel(f.sessions, f.sessions, func(i int) error {
		c, err := dial(ctx, s.url(), query("action", "joinSession", "sessionId", ids[i], "targetLanguage", "es"))
		var r refusal
		switch {
		case err == nil:
			c.close()
			return errors.New("admitted beyond capacity")
		case !errors.As(err, &r) || r.Code != "SESSION_FULL":
			return fmt.Errorf("want SESSION_FULL, got %v", err)
		}
		return nil
	})))
	s.quiesce(300 * time.Millisecond)
	mon := s.monitor(ctx, ids, f.perSession, 2*time.Second)

	// Heartbeats: every connection on its own timer, phases spread evenly.
	b.rec.setPhase("heartbeat")
	all := make([]*client, 0, len(speakers)+len(members))
	all = append(all, speakers...)
	for _, m := range members {
		all = append(all, m.c)
	}
	sent := make([]int, len(all))
	var sendErrs atomic.Int64
	before := s.trips.Count()
	hbCtx, stop := context.WithTimeout(ctx, f.duration)
	parallel(len(all), len(all), func(i int) error {
		t := time.NewTimer(rand.N(interval))
		defer t.Stop()
		for {
			select {
			case <-hbCtx.Done():
				return nil
			case <-t.C:
			}
			if err := all[i].send(ctx, map[string]string{"action": "heartbeat"}); err != nil {
				sendErrs.Add(1)
				return nil
			}
			sent[i]++
			t.Reset(interval)
		}
	})
	stop()
	total := 0
	for _, n := range sent {
		total += n
	}
	acks := parallel(len(all), len(all), func(i int) error { return all[i].waitCount("heartbeatAck", sent[i], 15*time.Second) })
	s.quiesce(300 * time.Millisecond)
	delta := s.trips.Count() - before
	b.rec.setPhase("")
	b.expect(sc, "every heartbeat answered with heartbeatAck", firstErrors(acks))
	var refused, closed int
	for _, c := range all {
		c.mu.Lock()
		refused += len(c.errCodes)
		c.mu.Unlock()
		select {
		case <-c.done:
			closed++
		default:
		}
	}
	var hbErr error
	if refused > 0 || closed > 0 || sendErrs.Load() > 0 {
		hbErr = fmt.Errorf("%d error replies, %d connections closed, %d failed sends", refused, closed, sendErrs.Load())
	}
	b.expect(sc, "no heartbeat refused and no heartbeating connection closed (sweep on)", hbErr)
	b.addOpNoted("heartbeat", summarize(b.rec.pick("heartbeat", "heartbeat", 0)), -1, "per invocation")
	b.note("heartbeat: %d sent by %d connections over %v; the phase made %d DynamoDB requests in all (sweeps included)", total, len(all), f.duration, delta)
	b.expect(sc, "listenerCount == listener records, per language too", s.checkCounts(ctx, ids))

	// PROTOCOL.md v1.1 gives capacity one door: a token-less listener refresh
	// at a full session is a join, unless it replaces a connection already
	// asked to refresh (none is, this early).
	b.expect(sc, "a token-less listener refresh at a full session gets SESSION_FULL", firstErrors(parallel(f.sessions, f.sessions, func(i int) error {
		c, err := dial(ctx, s.url(), query("action", "refreshConnection", "role", "listener", "sessionId", ids[i], "targetLanguage", "es"))
		var r refusal
		switch {
		case err == nil:
			c.close()
			return errors.New("admitted beyond capacity")
		case !errors.As(err, &r) || r.Code != "SESSION_FULL":
			return fmt.Errorf("want SESSION_FULL, got %v", err)
		}
		return nil
	})))

	// Refresh every connection: the new socket first, then the old one
	// closes. Listeners present their welcome's resumeToken (v1.1), which
	// moves their seat at a full session: the count never moves, and the
	// service closes the old connection itself.
	b.rec.setPhase("refresh")
	before = s.trips.Count()
	fresh := make([]*client, len(all))
	n := len(all)
	errs := parallel(n, f.joinConcurrency, func(i int) error {
		q := query("action", "refreshConnection", "role", "listener")
		if i < len(speakers) {
			tok, err := s.tokenFor(subs[i])
			if err != nil {
				return err
			}
			q = query("action", "refreshConnection", "role", "speaker", "sessionId", ids[i], "token", tok)
		} else {
			m := members[i-len(speakers)]
			q.Set("sessionId", ids[m.session])
			q.Set("targetLanguage", m.lang)
			q.Set("resumeToken", m.c.resumeToken())
		}
		c, err := dial(ctx, s.url(), q)
		if err != nil {
			return err
		}
		fresh[i] = c
		return c.waitCount("connectionRefreshComplete", 1, 30*time.Second)
	})
	s.quiesce(300 * time.Millisecond)
	delta = s.trips.Count() - before
	if err := firstErrors(errs); err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	b.addOpNoted("refresh", summarize(b.rec.pick("refresh", "refresh", 200)), float64(delta)/float64(n), "phase delta / n (welcome included)")

	b.rec.setPhase("refresh_close")
	parallel(n, n, func(i int) error { all[i].close(); return nil })
	settled := eventually(30*time.Second, func() error {
		for _, id := range ids {
			if err := countIs(ctx, s, id, f.perSession); err != nil {
				return err
			}
		}
		return s.checkCounts(ctx, ids)
	})
	b.expect(sc, "after the refresh every session counts each listener once", settled)
	var inactive []string
	for _, id := range ids {
		if sess, err := s.inspect.Sessions.Get(ctx, id); err != nil || !sess.Active {
			inactive = append(inactive, fmt.Sprintf("%s inactive (%v)", id, err))
		}
	}
	b.expect(sc, "the replaced speaker connection's close does not end its session", joinProblems(inactive))
	maxSeen, polls, merr := mon.finish()
	b.expect(sc, "no session exceeded capacity, refresh included, nor went below zero", merr)
	b.note("monitor: %d polls, highest listenerCount %d (capacity %d)", polls, maxSeen, f.perSession)

	// The speakers leave.
	b.rec.setPhase("sustain_end")
	parallel(len(speakers), len(speakers), func(i int) error { fresh[i].close(); return nil })
	b.expect(sc, "every listener of an ended session got sessionEnded exactly once", checkEnded(fresh[len(speakers):], 60*time.Second))
	var stale []string
	for i, c := range all {
		if n := c.count("sessionEnded"); n != 0 {
			stale = append(stale, fmt.Sprintf("replaced connection %d got sessionEnded %d times", i, n))
		}
	}
	b.expect(sc, "replaced connections got no sessionEnded", joinProblems(stale))
	b.expect(sc, "ended sessions have no records", eventually(15*time.Second, func() error {
		if err := s.checkCounts(ctx, ids); err != nil {
			return err
		}
		return s.noRecords(ctx)
	}))
	b.rec.setPhase("")
	_, _, reconciled, _ := s.logs.snapshot()
	var recErr error
	if reconciled > 0 {
		recErr = fmt.Errorf("the sweep reconciled counts %d times (they had drifted)", reconciled)
	}
	b.expect(sc, "the sweep never had to correct a count", recErr)
	return nil
}
