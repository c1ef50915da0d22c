package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/livecast/sessions/local/ddbcontention"
)

// stormPoll is how often the storms' monitor reads the count: its reads
// share the single-threaded emulator with the storm, so not too often.
const stormPoll = 250 * time.Millisecond

// handlerLimit is the local gateway's bound on an invocation, API Gateway's
// integration timeout.
const handlerLimit = 29 * time.Second

// stormBackend is a DynamoDB the join storms run on. Both are the stand-in
// in front of the bench's emulator, so both are counted the same way: one
// conflicting as DynamoDB does, one passing everything through (plain moto).
type stormBackend struct {
	suffix string // of the ops' names
	label  string
	opts   ddbcontention.Options
}

func (b *bench) stormBackends() []stormBackend {
	return []stormBackend{
		{"", fmt.Sprintf("contention stand-in, transactions hold their items %v", b.flags.hold), ddbcontention.Options{Hold: b.flags.hold}},
		{"_moto", "plain moto (the stand-in as a counting pass-through)", ddbcontention.Options{Hold: -1}},
	}
}

// standInDelta is what the stand-in saw and refused during one phase.
type standInDelta struct {
	Requests              map[string]int64 `json:"requests"`
	TransactionsCancelled int64            `json:"transactions_cancelled"`
	ConflictingItems      int64            `json:"conflicting_items"`
	SingleWritesRefused   int64            `json:"single_writes_refused"`
	ReadTxCancelled       int64            `json:"read_transactions_cancelled"`
}

func standInSince(before, after ddbcontention.Stats) *standInDelta {
	d := &standInDelta{
		Requests:              map[string]int64{},
		TransactionsCancelled: after.TransactionsCancelled - before.TransactionsCancelled,
		ConflictingItems:      after.ConflictingItems - before.ConflictingItems,
		SingleWritesRefused:   after.SingleWritesRefused - before.SingleWritesRefused,
		ReadTxCancelled:       after.ReadTransactionsCancelled - before.ReadTransactionsCancelled,
	}
	for op, n := range after.Requests {
		if n -= before.Requests[op]; n != 0 {
			d.Requests[op] = n
		}
	}
	return d
}

func (d *standInDelta) String() string {
	ops := slices.Sorted(maps.Keys(d.Requests))
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = fmt.Sprintf("%s×%d", op, d.Requests[op])
	}
	return fmt.Sprintf("%d transactions cancelled (%d conflicting items), %d single writes refused; requests %s",
		d.TransactionsCancelled, d.ConflictingItems, d.SingleWritesRefused, strings.Join(parts, ", "))
}

// scenarioJoinStorm is issue 9's start of a popular broadcast, through real
// WebSocket clients, on the contention stand-in and on plain moto: a burst
// of joins at the same moment into a smaller session (every seat taken, the
// rest SESSION_FULL, nothing else), a wave of joins spread over a few
// seconds into a session that fits them all, and that audience leaving at
// once (counts back to zero).
func (b *bench) scenarioJoinStorm(ctx context.Context) error {
	for _, be := range b.stormBackends() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		proxy, err := ddbcontention.New(b.endpoint, be.opts)
		if err != nil {
			return err
		}
		b.note("join storms on the %s", be.label)
		err = errors.Join(b.stormBurst(ctx, proxy, be), b.stormSpread(ctx, proxy, be))
		proxy.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// stormSession starts a system behind the stand-in with room for capacity
// listeners, a speaker's session in it once the start-up traffic settled,
// and a monitor of its count. The caller closes the system.
func (b *bench) stormSession(ctx context.Context, proxy *ddbcontention.Proxy, capacity int) (*system, *client, *monitor, error) {
	s, err := b.startSystemWith(ctx, "joinstorm", map[string]string{"MAX_LISTENERS_PER_SESSION": fmt.Sprint(capacity)}, systemOptions{dynamoEndpoint: proxy.URL()})
	if err != nil {
		return nil, nil, nil, err
	}
	spk, err := s.speaker(ctx)
	if err != nil {
		s.close()
		return nil, nil, nil, err
	}
	s.quiesce(300 * time.Millisecond)
	return s, spk, s.monitor(ctx, []string{spk.sessionID}, capacity, stormPoll), nil
}

// stormBurst: joiners at the same moment into a session of capacity seats.
func (b *bench) stormBurst(ctx context.Context, proxy *ddbcontention.Proxy, be stormBackend) error {
	n, capacity := b.flags.stormJoins, b.flags.stormCapacity
	name := fmt.Sprintf("storm_%d_%d", n, capacity)
	op := name + be.suffix
	sc := "joinstorm/" + op
	s, spk, mon, err := b.stormSession(ctx, proxy, capacity)
	if err != nil {
		return err
	}
	defer s.close()
	id := spk.sessionID

	tally, admitted := b.joinWave(ctx, s, proxy, be, name, id, n, 0)
	want := map[string]int{"admitted": capacity, "SESSION_FULL": n - capacity}
	b.expect(sc, fmt.Sprintf("exactly %d admitted and %d SESSION_FULL, nothing else", capacity, n-capacity), sameTally(tally, want))
	maxSeen, polls, merr := mon.finish()
	b.expect(sc, "capacity never exceeded, count never below zero", merr)
	b.note("%s: monitor %d polls, highest listenerCount %d (capacity %d)", op, polls, maxSeen, capacity)
	b.expect(sc, "listenerCount == listener records, per language too", s.checkCounts(ctx, []string{id}))
	b.expect(sc, "the session counts exactly its capacity", countIs(ctx, s, id, capacity))

	b.rec.setPhase("storm_teardown")
	spk.close()
	b.expect(sc, "every admitted listener is told the session ended", checkEnded(admitted, 60*time.Second))
	b.expect(sc, "no record left once the speaker left", eventually(30*time.Second, func() error { return s.noRecords(ctx) }))
	b.rec.setPhase("")
	return nil
}

// stormSpread: joiners spread evenly over a few seconds into a session that
// fits them all, who then leave at once.
func (b *bench) stormSpread(ctx context.Context, proxy *ddbcontention.Proxy, be stormBackend) error {
	n, over := b.flags.spreadJoins, b.flags.spread
	name := fmt.Sprintf("storm_%d_%gs", n, over.Seconds())
	op := name + be.suffix
	sc := "joinstorm/" + op
	s, spk, mon, err := b.stormSession(ctx, proxy, n)
	if err != nil {
		return err
	}
	defer s.close()
	id := spk.sessionID

	tally, admitted := b.joinWave(ctx, s, proxy, be, name, id, n, over)
	b.expect(sc, fmt.Sprintf("all %d admitted", n), sameTally(tally, map[string]int{"admitted": n}))
	b.expect(sc, "listenerCount == listener records, per language too", s.checkCounts(ctx, []string{id}))
	b.expect(sc, "the session counts every listener", countIs(ctx, s, id, len(admitted)))

	leave := fmt.Sprintf("storm_leave_%d%s", len(admitted), be.suffix)
	b.rec.setPhase(leave)
	before, attempts, st := s.trips.Count(), s.trips.Attempts(), proxy.Stats()
	start := time.Now()
	parallel(len(admitted), len(admitted), func(i int) error { admitted[i].close(); return nil })
	drained := eventually(60*time.Second, func() error { return countIs(ctx, s, id, 0) })
	drainedAfter := time.Since(start)
	ss := b.rec.await(leave, "leave", len(admitted), 30*time.Second)
	s.quiesce(300 * time.Millisecond)
	r := b.addOpNoted(leave, summarize(ss), perOp(s.trips.Count()-before, len(admitted)), "phase delta / n")
	r.Attempts = round2(perOp(s.trips.Attempts()-attempts, len(admitted)))
	r.StandIn = standInSince(st, proxy.Stats())
	r.Backend = be.label
	b.rec.setPhase("")
	b.note("%s: %d closes drained in %.0f ms; stand-in: %s", leave, len(admitted), ms(drainedAfter), r.StandIn)
	b.noteBacklog(leave, r.StandIn, time.Since(start), ss)
	b.expect(sc, "the count comes back to zero", drained)
	if len(ss) != len(admitted) {
		b.expect(sc, "one $disconnect per closed connection", fmt.Errorf("%d $disconnect invocations for %d closes", len(ss), len(admitted)))
	}
	maxSeen, polls, merr := mon.finish()
	b.expect(sc, "capacity never exceeded, count never below zero", merr)
	b.note("%s: monitor %d polls, highest listenerCount %d (capacity %d)", op, polls, maxSeen, n)
	b.expect(sc, "after the leave: no listener record, no count per language", s.checkCounts(ctx, []string{id}))

	b.rec.setPhase("storm_teardown")
	spk.close()
	b.expect(sc, "no record left once the speaker left", eventually(30*time.Second, func() error { return s.noRecords(ctx) }))
	b.rec.setPhase("")
	return nil
}

// joinWave dials n listeners into a session, all at the same moment (spread
// 0) or one every spread/n, and returns how the joins ended (admitted, the
// refusal's code, or the failure) and the admitted clients. The admitted
// joins are recorded as name (plus the backend's suffix), the refused ones
// as name_refused: the join's round-trip budget is the admitted path's.
func (b *bench) joinWave(ctx context.Context, s *system, proxy *ddbcontention.Proxy, be stormBackend, name, id string, n int, spread time.Duration) (map[string]int, []*client) {
	op := name + be.suffix
	b.rec.setPhase(op)
	before, attempts, st := s.trips.Count(), s.trips.Attempts(), proxy.Stats()
	outcomes := make([]string, n)
	clients := make([]*client, n)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-release
			if spread > 0 {
				time.Sleep(spread * time.Duration(i) / time.Duration(n))
			}
			c, err := dial(ctx, s.url(), query("action", "joinSession", "sessionId", id, "targetLanguage", languages[i%len(languages)]))
			var r refusal
			switch {
			case errors.As(err, &r) && r.Status == 503 && r.Code == "SESSION_FULL":
				outcomes[i] = r.Code
			case errors.As(err, &r):
				outcomes[i] = strings.TrimSpace(fmt.Sprintf("%d %s", r.Status, r.Code))
			case err != nil:
				outcomes[i] = "dial failed: " + err.Error()
			default:
				clients[i] = c
				outcomes[i] = "admitted"
				if err := c.waitCount("sessionJoined", 1, 60*time.Second); err != nil {
					outcomes[i] = "admitted without welcome"
				}
			}
		})
	}
	start := time.Now()
	close(release)
	wg.Wait()
	wall := time.Since(start)
	s.quiesce(300 * time.Millisecond)

	tally := map[string]int{}
	var admitted []*client
	for i, o := range outcomes {
		tally[o]++
		if clients[i] != nil {
			admitted = append(admitted, clients[i])
		}
	}
	joins := b.rec.pick(op, "join", 0)
	var ok, refused []sample
	var inHandlers int64
	for _, j := range joins {
		inHandlers += j.calls
		if j.status == 200 {
			ok = append(ok, j)
		} else {
			refused = append(refused, j)
		}
	}
	// Requests outside any handler (the welcomes) go to the admitted joins.
	all := s.trips.Count() - before
	var okCalls int64
	for _, j := range ok {
		okCalls += j.calls
	}
	r := b.addOpNoted(op, summarize(ok), perOp(okCalls+all-inHandlers, len(ok)), "admitted joins: their handlers' requests and the welcomes' / admitted")
	r.Attempts = round2(perOp(s.trips.Attempts()-attempts, n))
	r.StandIn = standInSince(st, proxy.Stats())
	r.Outcomes = tally
	r.Backend = be.label
	if len(refused) > 0 {
		b.addOpNoted(name+"_refused"+be.suffix, summarize(refused), -1, "refused (or failed) joins, per invocation")
	}
	b.rec.setPhase("")
	b.note("%s: outcomes %v in %.0f ms of wall time; %s DynamoDB requests per join, admitted or not (%s on the wire); stand-in: %s",
		op, tally, ms(wall), num(round2(perOp(all, n))), num(round2(r.Attempts)), r.StandIn)
	b.noteBacklog(op, r.StandIn, wall, joins)
	return tally, admitted
}

// noteBacklog says how fast the emulator served a storm and how many
// invocations ran into the gateway's handler limit (API Gateway's 29 s): a
// storm is only as fast as the single-threaded emulator, and when its
// backlog passes the limit, invocations fail for the emulator's sake.
func (b *bench) noteBacklog(op string, d *standInDelta, wall time.Duration, ss []sample) {
	var served int64
	for _, n := range d.Requests {
		served += n
	}
	var overLimit int
	for _, s := range ss {
		if s.dur >= handlerLimit-time.Second {
			overLimit++
		}
	}
	b.note("%s: the emulator served %.0f requests/s; %d of %d invocations ran into the gateway's %v handler limit",
		op, float64(served)/max(wall.Seconds(), 0.001), overLimit, len(ss), handlerLimit)
}

// sameTally compares outcome counts.
func sameTally(got, want map[string]int) error {
	if maps.Equal(got, want) {
		return nil
	}
	return fmt.Errorf("outcomes %v, want %v", got, want)
}

func perOp(total int64, n int) float64 { return float64(total) / float64(max(n, 1)) }
