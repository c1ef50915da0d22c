package main

import (
	"context"
	"errors"
	"fmt"
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
	hb := newHeartbeats(ctx, interval)
	defer hb.stop()
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
		if err := c.waitCount("sessionCreated", 1, 30*time.Second); err != nil {
			return err
		}
		hb.start(c)
		return nil
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
		if err == nil {
			hb.start(m.c)
		}
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
	// Not quiesce: the heartbeats never let DynamoDB fall quiet.
	time.Sleep(300 * time.Millisecond)
	mon := s.monitor(ctx, ids, f.perSession, 2*time.Second)

	// The measured heartbeat phase: every connection has been heartbeating
	// on its own timer since it connected, and goes on doing so.
	b.rec.setPhase("heartbeat")
	all := make([]*client, 0, len(speakers)+len(members))
	all = append(all, speakers...)
	for _, m := range members {
		all = append(all, m.c)
	}
	_, sentBefore := hb.snapshot()
	before := s.trips.Count()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(f.duration):
	}
	sent, sentAfter := hb.snapshot()
	delta := s.trips.Count() - before
	b.rec.setPhase("")
	total := sentAfter - sentBefore
	acks := parallel(len(all), len(all), func(i int) error { return all[i].waitCount("heartbeatAck", sent[all[i]], 15*time.Second) })
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
	if refused > 0 || closed > 0 || hb.failed.Load() > 0 {
		hbErr = fmt.Errorf("%d error replies, %d connections closed, %d failed sends", refused, closed, hb.failed.Load())
	}
	b.expect(sc, "no heartbeat refused and no heartbeating connection closed (sweep on)", hbErr)
	b.addOpNoted("heartbeat", summarize(b.rec.pick("heartbeat", "heartbeat", 0)), -1, "per invocation")
	b.note("heartbeat: %d sent by %d connections over %v; the phase made %d DynamoDB requests in all (sweeps included)", total, len(all), f.duration, delta)
	b.expect(sc, "listenerCount == listener records, per language too", s.checkCounts(ctx, ids))

	// docs/PROTOCOL.md v1.1 gives capacity one door: a token-less listener refresh
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
	outsideBefore := s.outside.Load()
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
		if err := c.waitCount("connectionRefreshComplete", 1, 30*time.Second); err != nil {
			return err
		}
		hb.start(c)
		return nil
	})
	if err := firstErrors(errs); err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	// The heartbeats go on and the sweep runs, so the phase never falls
	// quiet and its delta is not the refreshes' alone: a refresh costs its
	// handler and the $disconnect of the connection it replaced (the
	// service closes it); the asynchronous welcome reads nothing, which the
	// join scenario's phase delta shows.
	closes := b.rec.await("refresh", "leave", len(members), 30*time.Second)
	time.Sleep(300 * time.Millisecond)
	refreshes := b.rec.pick("refresh", "refresh", 200)
	var calls int64
	for _, x := range append(refreshes, closes...) {
		calls += x.calls
	}
	b.addOpNoted("refresh", summarize(refreshes), perOp(calls, n), "handlers and the replaced connections' $disconnects / n")
	b.note("refresh: %d DynamoDB requests outside any invocation during the phase (sweeps, welcomes)", s.outside.Load()-outsideBefore)

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
	hb.stop()
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
