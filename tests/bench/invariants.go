package main

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// verdict is the outcome of one invariant check.
type verdict struct {
	Scenario string `json:"scenario"`
	Check    string `json:"check"`
	OK       bool   `json:"ok"`
	Detail   string `json:"detail,omitempty"`
}

// expect records an invariant check; a failed one fails the run.
func (b *bench) expect(scenario, check string, err error) {
	v := verdict{Scenario: scenario, Check: check, OK: err == nil}
	if err != nil {
		v.Detail = err.Error()
		fmt.Fprintf(b.out, "INVARIANT BROKEN [%s] %s: %v\n", scenario, check, err)
	}
	b.mu.Lock()
	b.verdicts = append(b.verdicts, v)
	b.mu.Unlock()
}

// checkCounts verifies, for each session, that the stored counts equal its
// listener records: listenerCount == records, byLanguage[l] == records of l,
// nothing negative; an ended session has no record and no count.
func (s *system) checkCounts(ctx context.Context, ids []string) error {
	var problems []string
	for _, id := range ids {
		sess, err := s.inspect.Sessions.Get(ctx, id)
		if err != nil {
			return fmt.Errorf("read %s: %w", id, err)
		}
		ls, err := s.inspect.Connections.Listeners(ctx, id, "")
		if err != nil {
			return fmt.Errorf("list listeners of %s: %w", id, err)
		}
		records := map[string]int{}
		for _, c := range ls {
			records[c.TargetLanguage]++
		}
		stored := map[string]int{}
		for l, n := range sess.ByLanguage {
			if n < 0 {
				problems = append(problems, fmt.Sprintf("%s: byLanguage[%s]=%d < 0", id, l, n))
			}
			if n != 0 {
				stored[l] = n
			}
		}
		switch {
		case sess.ListenerCount < 0:
			problems = append(problems, fmt.Sprintf("%s: listenerCount=%d < 0", id, sess.ListenerCount))
		case sess.ListenerCount != len(ls):
			problems = append(problems, fmt.Sprintf("%s: listenerCount=%d but %d listener records", id, sess.ListenerCount, len(ls)))
		case !maps.Equal(stored, records):
			problems = append(problems, fmt.Sprintf("%s: byLanguage=%v but records per language=%v", id, stored, records))
		case !sess.Active && len(ls) > 0:
			problems = append(problems, fmt.Sprintf("%s: ended but %d listener records remain", id, len(ls)))
		}
	}
	return joinProblems(problems)
}

// eventually retries check until it passes or timeout ends, returning the
// last failure.
func eventually(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func joinProblems(p []string) error {
	if len(p) == 0 {
		return nil
	}
	sort.Strings(p)
	if len(p) > 5 {
		p = append(p[:5], fmt.Sprintf("... and %d more", len(p)-5))
	}
	return fmt.Errorf("%s", strings.Join(p, "; "))
}

// monitor polls sessions while a scenario runs and remembers every count it
// saw outside [0, capacity]: docs/PROTOCOL.md v1.1 gives capacity one door, and a
// refresh moves a seat rather than taking a second one.
type monitor struct {
	capacity int
	mu       sync.Mutex
	max      map[string]int
	problems []string
	polls    int
	stop     context.CancelFunc
	done     chan struct{}
}

func (s *system) monitor(ctx context.Context, ids []string, capacity int, every time.Duration) *monitor {
	// Stopping cancels only the wait between polls: a request cancelled in
	// flight makes the SDK complain about the connection it abandons.
	stopCtx, cancel := context.WithCancel(ctx)
	m := &monitor{capacity: capacity, max: map[string]int{}, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(m.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			for _, id := range ids {
				if stopCtx.Err() != nil {
					return
				}
				sess, err := s.inspect.Sessions.Get(context.WithoutCancel(ctx), id)
				if err != nil {
					continue
				}
				bound := m.capacity
				m.mu.Lock()
				m.polls++
				m.max[id] = max(m.max[id], sess.ListenerCount)
				if sess.ListenerCount < 0 || sess.ListenerCount > bound {
					m.problems = append(m.problems, fmt.Sprintf("%s: listenerCount=%d outside [0, %d]", id, sess.ListenerCount, bound))
				}
				for l, n := range sess.ByLanguage {
					if n < 0 {
						m.problems = append(m.problems, fmt.Sprintf("%s: byLanguage[%s]=%d < 0", id, l, n))
					}
				}
				m.mu.Unlock()
			}
			select {
			case <-stopCtx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return m
}

// finish stops polling and reports what it saw.
func (m *monitor) finish() (maxSeen int, polls int, err error) {
	m.stop()
	<-m.done
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.max {
		maxSeen = max(maxSeen, n)
	}
	return maxSeen, m.polls, joinProblems(m.problems)
}

// checkEnded verifies that every listener of an ended session received
// sessionEnded exactly once and was then closed by the service with 1000.
func checkEnded(listeners []*client, timeout time.Duration) error {
	var problems []string
	for i, l := range listeners {
		status, err := l.closed(timeout)
		if err != nil {
			problems = append(problems, fmt.Sprintf("listener %d: %v", i, err))
			continue
		}
		if n := l.count("sessionEnded"); n != 1 {
			problems = append(problems, fmt.Sprintf("listener %d: sessionEnded received %d times", i, n))
		}
		if status != websocket.StatusNormalClosure {
			problems = append(problems, fmt.Sprintf("listener %d: closed with %v, want 1000", i, status))
		}
	}
	return joinProblems(problems)
}
