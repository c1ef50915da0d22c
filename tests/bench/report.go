package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// opResult is one operation's measurement.
type opResult struct {
	Op           string         `json:"op"`
	N            int            `json:"n"`
	Calls        float64        `json:"calls"`         // DynamoDB round trips per operation, all it causes
	HandlerCalls float64        `json:"handler_calls"` // of which inside the measured invocation
	CallsFrom    string         `json:"calls_from"`
	P50          float64        `json:"p50_ms"`
	P95          float64        `json:"p95_ms"`
	P99          float64        `json:"p99_ms"`
	Max          float64        `json:"max_ms"`
	DBShare      float64        `json:"db_share"`            // share of handler time spent waiting for DynamoDB
	Listeners    int            `json:"listeners,omitempty"` // end_N
	ClientMs     float64        `json:"client_ms,omitempty"` // end_N: speaker close → last sessionEnded, seen by the clients
	AllCalls     int64          `json:"all_calls,omitempty"` // end_N: with the listeners' $disconnects it triggers
	Attempts     float64        `json:"attempts,omitempty"`  // storms: requests on the wire per operation, retries included
	Outcomes     map[string]int `json:"outcomes,omitempty"`  // storms: how the joins ended
	Backend      string         `json:"backend,omitempty"`   // storms: the DynamoDB they ran on
	StandIn      *standInDelta  `json:"stand_in,omitempty"`  // storms: what the stand-in saw and refused
	Budget       float64        `json:"budget,omitempty"`
	Original     float64        `json:"original,omitempty"` // the original Python design's round trips
	Ratio        float64        `json:"ratio,omitempty"`    // original / ours
	WithinBudget *bool          `json:"within_budget,omitempty"`
}

// addOp records an operation and prints its line; calls < 0 means "the
// handler's own count".
func (b *bench) addOp(op string, st stats, calls float64, from string) *opResult {
	if calls < 0 {
		calls = st.HandlerCalls
	}
	r := &opResult{
		Op: op, N: st.N, Calls: round2(calls), HandlerCalls: round2(st.HandlerCalls), CallsFrom: from,
		P50: ms(st.P50), P95: ms(st.P95), P99: ms(st.P99), Max: ms(st.Max), DBShare: round2(st.DBShare),
	}
	fmt.Fprintln(b.out, r.line())
	b.mu.Lock()
	b.ops = append(b.ops, r)
	b.mu.Unlock()
	return r
}

// addOpNoted is addOp plus a note on where the handler time went.
func (b *bench) addOpNoted(op string, st stats, calls float64, from string) *opResult {
	r := b.addOp(op, st, calls, from)
	b.note("%s: %.0f%% of handler time waiting for DynamoDB; %s DynamoDB requests inside the handler, %s per operation in all (%s)",
		op, 100*r.DBShare, num(r.HandlerCalls), num(r.Calls), from)
	return r
}

func (r *opResult) line() string {
	return fmt.Sprintf("op=%s n=%d calls=%s p50_ms=%s p95_ms=%s p99_ms=%s", r.Op, r.N, num(r.Calls), num(r.P50), num(r.P95), num(r.P99))
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// budgetOf is an operation's round-trip budget (the core issue's) and the
// original design's count on its main path.
func budgetOf(op string) (budget, original float64, ok bool) {
	switch {
	case op == "create":
		return 3, 7, true
	case op == "join" || strings.HasPrefix(op, "join_c"):
		return 3, 7, true
	case op == "heartbeat":
		return 1, 1, true
	case op == "leave" || strings.HasPrefix(op, "storm_leave_"):
		return 2, 3, true
	case strings.HasPrefix(op, "storm_") && strings.Contains(op, "_refused"):
		return 0, 0, false // refusals, unbudgeted like join_full
	case strings.HasPrefix(op, "storm_"):
		// An admitted join in a storm costs what a join does, on either
		// backend: a conflict retried would show as a round trip over budget.
		return 3, 7, true
	case strings.HasSuffix(op, "_disconnects"):
		// end_N's service-side closes: each record is a closing mark
		// before its close, so a $disconnect deletes the mark and stops:
		// one request.
		return 1, 3, true
	case op == "refresh":
		return 3, 3, true
	}
	// end_N: the speaker's record removed, the listeners queried, the
	// session ended, their records overwritten with closing marks 25 to a
	// batch; nothing after the closes.
	var n int
	if _, err := fmt.Sscanf(op, "end_%d", &n); err == nil {
		per := math.Ceil(float64(n) / 25)
		return 3 + per, 6 + per, true
	}
	return 0, 0, false
}

// target is a latency objective, reported but not enforced.
type target struct {
	What   string  `json:"what"`
	Limit  float64 `json:"limit_ms"`
	Actual float64 `json:"actual_ms"`
	Pass   bool    `json:"pass"`
}

// report is everything the run measured, as written to JSON.
type report struct {
	Time             string           `json:"time"`
	Commit           string           `json:"commit,omitempty"`
	Machine          map[string]any   `json:"machine"`
	Config           map[string]any   `json:"config"`
	Ops              []*opResult      `json:"ops"`
	Targets          []target         `json:"latency_targets"`
	ColdStart        *coldResult      `json:"cold_start,omitempty"`
	Invariants       []verdict        `json:"invariants"`
	Scenarios        []scenarioTiming `json:"scenarios"`
	Notes            []string         `json:"notes"`
	BrokenInvariants int              `json:"broken_invariants"`
	BudgetsExceeded  int              `json:"budgets_exceeded"`
}

// report prints the summary, the comparison with the original design and
// the verdicts, and returns the JSON view.
func (b *bench) report() report {
	f := b.flags
	rep := report{
		Time:    time.Now().UTC().Format(time.RFC3339),
		Commit:  gitCommit(),
		Machine: map[string]any{"cpus": runtime.NumCPU(), "goos": runtime.GOOS, "goarch": runtime.GOARCH, "go": runtime.Version(), "dynamodb": "moto_server (single-threaded)"},
		Config: map[string]any{
			"duration": f.duration.String(), "heartbeat_interval": f.heartbeatInterval.String(), "heartbeat_limit_per_min": f.heartbeatLimit,
			"sessions": f.sessions, "listeners_per_session": f.perSession, "creates": f.creates, "capacity": f.capacity,
			"overflow": f.overflow, "storm": f.storm, "fanout": f.fanout, "serial_fanout": f.serialFanout,
			"storm_joins": f.stormJoins, "storm_capacity": f.stormCapacity, "spread_joins": f.spreadJoins, "spread": f.spread.String(), "hold": f.hold.String(),
			"production_client": f.productionClient, "join_concurrency": f.joinConcurrency, "dial_concurrency": f.dialConcurrency, "fanout_workers": f.fanoutWorkers,
		},
		ColdStart:  b.cold,
		Invariants: b.verdicts,
		Scenarios:  b.timings,
		Notes:      b.notes,
		Ops:        b.ops,
	}
	out := b.out
	fmt.Fprintln(out, "=== per operation (handler time inside the process; calls = DynamoDB round trips per operation)")
	for _, r := range b.ops {
		if budget, original, ok := budgetOf(r.Op); ok {
			r.Budget, r.Original = budget, original
			if r.Calls > 0 {
				r.Ratio = round2(original / r.Calls)
			}
			within := r.Calls <= budget
			r.WithinBudget = &within
			if !within {
				rep.BudgetsExceeded++
			}
		}
		fmt.Fprintln(out, r.line())
	}

	fmt.Fprintln(out, "=== DynamoDB round trips: this service vs the original design (ratio = original / ours)")
	fmt.Fprintf(out, "%-22s %6s %8s %9s %7s  %s\n", "op", "ours", "budget", "original", "ratio", "verdict")
	for _, r := range b.ops {
		if r.Budget == 0 {
			continue
		}
		verdict := "PASS"
		if !*r.WithinBudget {
			verdict = "EXCEEDED"
		}
		fmt.Fprintf(out, "%-22s %6s %8s %9s %6.2fx  %s\n", r.Op, num(r.Calls), "<= "+num(r.Budget), num(r.Original), r.Ratio, verdict)
	}
	fmt.Fprintln(out, "(the original design then posted to each listener in series; ours posts with a bounded pool of workers)")
	fmt.Fprintln(out, "=== speaker leaves: how the end scales with the audience")
	for _, r := range b.ops {
		if r.Listeners > 0 {
			fmt.Fprintf(out, "%-16s listeners=%-4d handler_ms=%-8s last_sessionEnded_ms=%-8s handler_ms_per_listener=%.2f calls=%s\n",
				r.Op, r.Listeners, num(r.P50), num(r.ClientMs), r.P50/float64(r.Listeners), num(r.Calls))
		}
	}

	fmt.Fprintln(out, "=== join storms (handler time of the admitted joins; calls = their DynamoDB operations per join; attempts = requests on the wire per join, refused ones too)")
	for _, r := range b.ops {
		if r.StandIn == nil {
			continue
		}
		outcomes := ""
		if len(r.Outcomes) > 0 {
			outcomes = fmt.Sprintf(" outcomes=%v", r.Outcomes)
		}
		fmt.Fprintf(out, "%-22s p50_ms=%-7s p95_ms=%-7s p99_ms=%-7s calls=%-5s attempts=%-5s%s\n", r.Op, num(r.P50), num(r.P95), num(r.P99), num(r.Calls), num(r.Attempts), outcomes)
		fmt.Fprintf(out, "%-22s on the %s: %s\n", "", r.Backend, r.StandIn)
	}

	fmt.Fprintln(out, "=== latency targets (reported, not enforced: a loaded machine is not a regression)")
	for _, t := range []struct {
		op, what string
		limit    float64
	}{
		{"heartbeat", "heartbeat handler p95", 20},
		{"join", "join ($connect) handler p95", 50},
		{fmt.Sprintf("end_%d", f.capacity), fmt.Sprintf("end_%d handler", f.capacity), 1000},
	} {
		for _, r := range b.ops {
			if r.Op != t.op {
				continue
			}
			tg := target{What: t.what, Limit: t.limit, Actual: r.P95, Pass: r.P95 < t.limit}
			rep.Targets = append(rep.Targets, tg)
			verdict := "PASS"
			if !tg.Pass {
				verdict = "MISS"
			}
			fmt.Fprintf(out, "%-28s %10s ms  (target < %s ms)  %s\n", t.what, num(tg.Actual), num(t.limit), verdict)
		}
	}
	if c := b.cold; c != nil {
		fmt.Fprintf(out, "=== cold start (the Lambda binary, %d runs; init = process start → first Runtime API poll)\n%s\n", c.Runs, c.line())
	}

	fmt.Fprintln(out, "=== invariants")
	for _, v := range b.verdicts {
		if !v.OK {
			rep.BrokenInvariants++
		}
	}
	fmt.Fprintf(out, "%d checked, %d broken\n", len(b.verdicts), rep.BrokenInvariants)
	for _, v := range b.verdicts {
		if !v.OK {
			fmt.Fprintf(out, "BROKEN [%s] %s: %s\n", v.Scenario, v.Check, v.Detail)
		}
	}
	return rep
}

func (r report) writeJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain").Output(); err == nil && len(st) > 0 {
		c += "-dirty"
	}
	return c
}
