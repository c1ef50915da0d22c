package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// scenarioCreate: many speakers create sessions at the same moment.
func (b *bench) scenarioCreate(ctx context.Context) error {
	const sc = "create"
	s, err := b.startSystem(ctx, sc, nil)
	if err != nil {
		return err
	}
	defer s.close()
	n := b.flags.creates
	tokens := make([]string, n)
	for i := range tokens {
		if tokens[i], err = s.token(); err != nil {
			return err
		}
	}

	b.rec.setPhase("create")
	before := s.trips.Count()
	speakers := make([]*client, n)
	errs := parallel(n, n, func(i int) error {
		c, err := dial(ctx, s.url(), query("action", "createSession", "sourceLanguage", "en", "qualityTier", "standard", "token", tokens[i]))
		if err != nil {
			return err
		}
		speakers[i] = c
		return c.waitCount("sessionCreated", 1, 30*time.Second)
	})
	s.quiesce(300 * time.Millisecond)
	delta := s.trips.Count() - before
	b.rec.setPhase("")
	if err := firstErrors(errs); err != nil {
		return fmt.Errorf("creations: %w", err)
	}
	b.addOp("create", summarize(b.rec.pick("create", "create", 200)), float64(delta)/float64(n), "phase delta / n (welcome included)")

	ids := make([]string, 0, n)
	seen := map[string]bool{}
	var dup []string
	for _, c := range speakers {
		if seen[c.sessionID] {
			dup = append(dup, c.sessionID+" issued twice")
		}
		seen[c.sessionID] = true
		ids = append(ids, c.sessionID)
	}
	b.expect(sc, "every creation got its own session id", joinProblems(dup))
	b.expect(sc, "listenerCount == listener records, per language too", s.checkCounts(ctx, ids))

	b.rec.setPhase("create_teardown")
	parallel(n, n, func(i int) error { speakers[i].close(); return nil })
	b.expect(sc, "no record left behind once the speakers left", eventually(15*time.Second, func() error {
		return s.noRecords(ctx)
	}))
	b.rec.setPhase("")
	return nil
}

// scenarioJoinAndEnd: capacity listeners join one session, the overflow is
// refused, then the speaker leaves (end_<capacity>).
func (b *bench) scenarioJoinAndEnd(ctx context.Context) error {
	const sc = "join"
	s, err := b.startSystem(ctx, sc, nil)
	if err != nil {
		return err
	}
	defer s.close()
	spk, err := s.speaker(ctx)
	if err != nil {
		return err
	}
	id, capacity := spk.sessionID, b.flags.capacity
	mon := s.monitor(ctx, []string{id}, capacity, 50*time.Millisecond)

	b.rec.setPhase("join")
	before := s.trips.Count()
	listeners := make([]*client, capacity)
	errs := parallel(capacity, b.flags.joinConcurrency, func(i int) (err error) {
		listeners[i], err = s.listener(ctx, id, languages[i%len(languages)])
		return err
	})
	if err := firstErrors(errs); err != nil {
		return fmt.Errorf("joins: %w", err)
	}
	// The last welcome also pushes the count to the speaker.
	_ = spk.waitFor(15*time.Second, "listenerCount total", func(c *client) bool { return c.maxTotal >= capacity })
	s.quiesce(300 * time.Millisecond)
	delta := s.trips.Count() - before
	b.addOpNoted("join", summarize(b.rec.pick("join", "join", 200)), float64(delta)/float64(capacity), "phase delta / n (welcome included)")

	b.rec.setPhase("join_full")
	before = s.trips.Count()
	over := b.flags.overflow
	errs = parallel(over, over, func(i int) error {
		c, err := dial(ctx, s.url(), query("action", "joinSession", "sessionId", id, "targetLanguage", "es"))
		var r refusal
		switch {
		case err == nil:
			c.close()
			return errors.New("admitted beyond capacity")
		case !errors.As(err, &r):
			return err
		case r.Status != 503 || r.Code != "SESSION_FULL":
			return fmt.Errorf("refused with %d %s, want 503 SESSION_FULL", r.Status, r.Code)
		}
		return nil
	})
	s.quiesce(300 * time.Millisecond)
	delta = s.trips.Count() - before
	b.rec.setPhase("")
	b.expect(sc, fmt.Sprintf("all %d joins beyond capacity (at once) get SESSION_FULL", over), firstErrors(errs))
	b.addOpNoted("join_full", summarize(b.rec.pick("join_full", "join", 0)), float64(delta)/float64(over), "phase delta / n")

	maxSeen, polls, merr := mon.finish()
	b.expect(sc, "the count never left [0, capacity]", merr)
	b.note("monitor: %d polls, highest listenerCount %d (capacity %d)", polls, maxSeen, capacity)
	b.expect(sc, "listenerCount == listener records, per language too", s.checkCounts(ctx, []string{id}))
	b.expect(sc, "exactly capacity listeners admitted", countIs(ctx, s, id, capacity))

	return b.endSession(ctx, sc, s, spk, listeners, fmt.Sprintf("end_%d", capacity))
}

// endSession makes the speaker leave and measures the end: the speaker's
// $disconnect handler (EndSession + fan-out + batch deletes) and, from the
// clients' side, the time until the last listener got sessionEnded.
func (b *bench) endSession(ctx context.Context, sc string, s *system, spk *client, listeners []*client, op string) error {
	id := spk.sessionID
	b.rec.setPhase(op)
	before := s.trips.Count()
	start := time.Now()
	var last atomic.Int64
	spk.close()
	errs := parallel(len(listeners), len(listeners), func(i int) error {
		if err := listeners[i].waitCount("sessionEnded", 1, 60*time.Second); err != nil {
			return err
		}
		d := int64(time.Since(start))
		for {
			cur := last.Load()
			if d <= cur || last.CompareAndSwap(cur, d) {
				return nil
			}
		}
	})
	if err := firstErrors(errs); err != nil {
		b.expect(sc, "every listener receives sessionEnded", err)
	}
	b.expect(sc, "every listener of the ended session got sessionEnded exactly once, then a 1000 close", checkEnded(listeners, 30*time.Second))
	b.expect(sc, "the ended session has no count and no listener record", eventually(15*time.Second, func() error {
		if err := s.checkCounts(ctx, []string{id}); err != nil {
			return err
		}
		return countIs(ctx, s, id, 0)
	}))
	b.expect(sc, "no connection record left at all", eventually(15*time.Second, func() error { return s.noRecords(ctx) }))
	sess, err := s.inspect.Sessions.Get(ctx, id)
	if err == nil && sess.Active {
		err = errors.New("session still active")
	}
	b.expect(sc, "the session is inactive", err)

	ss := b.rec.await(op, "speaker_leave", 1, 30*time.Second)
	closes := b.rec.await(op, "leave", len(listeners), 30*time.Second)
	s.quiesce(300 * time.Millisecond)
	all := s.trips.Count() - before
	b.rec.setPhase("")
	if len(ss) != 1 {
		return fmt.Errorf("%s: %d speaker $disconnect invocations recorded, want 1", op, len(ss))
	}
	r := b.addOp(op, summarize(ss), float64(ss[0].calls), "per invocation")
	r.Listeners = len(listeners)
	r.ClientMs = ms(time.Duration(last.Load()))
	b.note("%s: handler %s ms, last listener had sessionEnded after %s ms; %d DynamoDB requests, %.0f ms waiting for them (%s)",
		op, num(r.P50), num(r.ClientMs), ss[0].calls, ms(ss[0].db), apiBreakdown(ss[0].byAPI))
	b.note("%s: its requests in order: %s", op, apiSequence(ss[0].seq))
	b.note("%s: with the %d listener $disconnects the end triggers (service-side closes), %d DynamoDB requests in all (%.2f per listener)",
		op, len(listeners), all, float64(all)/float64(max(len(listeners), 1)))
	r.AllCalls = all
	// The $disconnects of the end's own closes: the records are deleted
	// before the closes, so each finds nothing.
	cs := summarize(closes)
	var most error
	if cs.MaxCalls > 1 || len(closes) != len(listeners) {
		most = fmt.Errorf("%d $disconnects for %d closes, up to %d DynamoDB requests each", len(closes), len(listeners), cs.MaxCalls)
	}
	b.expect(sc, "a $disconnect for a connection whose session ended costs at most one DynamoDB request", most)
	b.addOp(op+"_disconnects", cs, perOp(all-ss[0].calls, len(listeners)), "(phase delta - the end's own) / n")
	return nil
}

// scenarioStorm: every listener of a full session disconnects at once. The
// session is filled with several dials in flight, which is reported as
// join_c<N> (joins under load).
func (b *bench) scenarioStorm(ctx context.Context) error {
	const sc = "storm"
	n := b.flags.storm
	s, err := b.startSystem(ctx, sc, map[string]string{"MAX_LISTENERS_PER_SESSION": fmt.Sprint(n)})
	if err != nil {
		return err
	}
	defer s.close()
	spk, err := s.speaker(ctx)
	if err != nil {
		return err
	}
	id := spk.sessionID
	loaded := fmt.Sprintf("join_c%d", b.flags.dialConcurrency)
	b.rec.setPhase(loaded)
	before := s.trips.Count()
	listeners := make([]*client, n)
	if err := firstErrors(parallel(n, b.flags.dialConcurrency, func(i int) (err error) {
		listeners[i], err = s.listener(ctx, id, languages[i%len(languages)])
		return err
	})); err != nil {
		return fmt.Errorf("joins: %w", err)
	}
	_ = spk.waitFor(15*time.Second, "listenerCount total", func(c *client) bool { return c.maxTotal >= n })
	s.quiesce(300 * time.Millisecond)
	delta := s.trips.Count() - before
	b.addOpNoted(loaded, summarize(b.rec.pick(loaded, "join", 200)), float64(delta)/float64(n), "phase delta / n (welcome included)")
	mon := s.monitor(ctx, []string{id}, n, 50*time.Millisecond)

	b.rec.setPhase("leave")
	before = s.trips.Count()
	start := time.Now()
	parallel(n, n, func(i int) error { listeners[i].close(); return nil })
	drained := eventually(60*time.Second, func() error { return countIs(ctx, s, id, 0) })
	drainedAfter := time.Since(start)
	ss := b.rec.await("leave", "leave", n, 30*time.Second)
	s.quiesce(300 * time.Millisecond)
	delta = s.trips.Count() - before
	b.rec.setPhase("")
	b.expect(sc, "the count drains to zero", drained)
	maxSeen, polls, merr := mon.finish()
	b.expect(sc, "the count never went below zero (nor above capacity)", merr)
	b.note("storm: %d closes drained in %.0f ms; monitor %d polls, highest count %d", n, ms(drainedAfter), polls, maxSeen)
	if len(ss) != n {
		b.expect(sc, "one $disconnect per closed connection", fmt.Errorf("%d $disconnect invocations for %d closes", len(ss), n))
	}
	b.addOpNoted("leave", summarize(ss), float64(delta)/float64(n), "phase delta / n")
	b.expect(sc, "listenerCount == listener records, per language too", s.checkCounts(ctx, []string{id}))

	b.rec.setPhase("storm_end")
	spk.close()
	b.expect(sc, "no record left behind after the storm", eventually(15*time.Second, func() error { return s.noRecords(ctx) }))
	b.rec.setPhase("")
	return nil
}

// scenarioFanout: the speaker leaves sessions of growing size, to show how
// the end scales with the audience; and once with a single fan-out worker,
// which is how the original design posted (one after another).
func (b *bench) scenarioFanout(ctx context.Context) error {
	type run struct {
		n       int
		workers int
		op      string
	}
	var runs []run
	for _, n := range b.flags.fanout {
		runs = append(runs, run{n, b.flags.fanoutWorkers, fmt.Sprintf("end_%d", n)})
	}
	if b.flags.serialFanout > 0 {
		runs = append(runs, run{b.flags.serialFanout, 1, fmt.Sprintf("end_%d_serial", b.flags.serialFanout)})
	}
	for _, r := range runs {
		saved := b.flags.fanoutWorkers
		b.flags.fanoutWorkers = r.workers
		s, err := b.startSystem(ctx, "fanout", map[string]string{"MAX_LISTENERS_PER_SESSION": fmt.Sprint(r.n)})
		b.flags.fanoutWorkers = saved
		if err != nil {
			return err
		}
		err = func() error {
			defer s.close()
			spk, err := s.speaker(ctx)
			if err != nil {
				return err
			}
			b.rec.setPhase("fanout_setup")
			listeners := make([]*client, r.n)
			if err := firstErrors(parallel(r.n, b.flags.dialConcurrency, func(i int) (err error) {
				listeners[i], err = s.listener(ctx, spk.sessionID, languages[i%len(languages)])
				return err
			})); err != nil {
				return fmt.Errorf("joins: %w", err)
			}
			s.quiesce(300 * time.Millisecond)
			return b.endSession(ctx, "fanout/"+r.op, s, spk, listeners, r.op)
		}()
		if err != nil {
			return fmt.Errorf("%s: %w", r.op, err)
		}
	}
	return nil
}

// countIs checks a session's stored listenerCount.
func countIs(ctx context.Context, s *system, id string, want int) error {
	sess, err := s.inspect.Sessions.Get(ctx, id)
	if err != nil {
		return err
	}
	if sess.ListenerCount != want {
		return fmt.Errorf("%s: listenerCount=%d, want %d", id, sess.ListenerCount, want)
	}
	return nil
}

// noRecords checks that the Connections table is empty.
func (s *system) noRecords(ctx context.Context) error {
	n, err := s.connectionRecords(ctx)
	if err != nil {
		return err
	}
	if n != 0 {
		return fmt.Errorf("%d connection records remain", n)
	}
	return nil
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/float64(time.Millisecond)*10) / 10 }

// apiSequence lists an invocation's requests in order, runs of the same API
// folded: where its time went, step by step.
func apiSequence(seq []apiCall) string {
	var parts []string
	for i := 0; i < len(seq); {
		j, total := i, time.Duration(0)
		for ; j < len(seq) && seq[j].API == seq[i].API; j++ {
			total += seq[j].Dur
		}
		if j-i == 1 {
			parts = append(parts, fmt.Sprintf("%s %.0f ms", seq[i].API, ms(total)))
		} else {
			parts = append(parts, fmt.Sprintf("%s×%d %.0f ms", seq[i].API, j-i, ms(total)))
		}
		i = j
	}
	return strings.Join(parts, " → ")
}

func apiBreakdown(by map[string]apiTime) string {
	names := slices.Sorted(maps.Keys(by))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s×%d %.0f ms", n, by[n].N, ms(by[n].Dur))
	}
	return strings.Join(parts, ", ")
}
