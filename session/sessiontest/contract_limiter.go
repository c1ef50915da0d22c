package sessiontest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

func limiterContract(t *testing.T, newPorts func(t *testing.T) Ports) {
	// Two limits sharing a window, as a join's connection attempt and join.
	limits := []session.Limit{{Name: "attempts", Max: 3, Window: time.Minute}, {Name: "joins", Max: 2, Window: time.Minute}}

	t.Run("Take counts a member once under every limit of a window, or under none", func(t *testing.T) {
		f := setUp(t, newPorts)
		require.NoError(t, f.Limiter.Take(f.ctx(), "ip:x", "c1", limits, start))
		require.NoError(t, f.Limiter.Take(f.ctx(), "ip:x", "c1", limits, start), "a replayed member is not counted twice")
		require.NoError(t, f.Limiter.Take(f.ctx(), "ip:x", "c2", limits, start))
		err := f.Limiter.Take(f.ctx(), "ip:x", "c3", limits, start.Add(15*time.Second))
		var limited *session.RateLimitedError
		require.ErrorAs(t, err, &limited)
		assert.Equal(t, "attempts+joins", limited.Limit, "the limits of the full window")
		assert.Equal(t, 45, limited.RetryAfter)
		require.NoError(t, f.Limiter.Take(f.ctx(), "ip:x", "c4", limits[:1], start), "the refused take counted nothing under attempts")
		err = f.Limiter.Take(f.ctx(), "ip:x", "c5", limits[:1], start)
		require.ErrorAs(t, err, &limited, "attempts is full now")
		assert.Equal(t, "attempts", limited.Limit)
		require.NoError(t, f.Limiter.Take(f.ctx(), "ip:x", "c2", limits[:1], start), "a counted member is never refused")
	})

	t.Run("Take starts every window empty, and counts every key apart", func(t *testing.T) {
		f := setUp(t, newPorts)
		one := []session.Limit{{Name: "sessionCreations", Max: 1, Window: time.Hour}}
		require.NoError(t, f.Limiter.Take(f.ctx(), "user:a", "c1", one, start))
		err := f.Limiter.Take(f.ctx(), "user:a", "c2", one, start.Add(59*time.Minute))
		var limited *session.RateLimitedError
		require.ErrorAs(t, err, &limited)
		assert.Equal(t, "sessionCreations", limited.Limit)
		assert.Equal(t, 60, limited.RetryAfter)
		require.NoError(t, f.Limiter.Take(f.ctx(), "user:b", "c2", one, start), "another key")
		require.NoError(t, f.Limiter.Take(f.ctx(), "user:a", "c2", one, start.Add(time.Hour)), "the next window")
	})

	t.Run("Take counts a scoped limit per scope, in the same step as the key's others", func(t *testing.T) {
		f := setUp(t, newPorts)
		scoped := func(scope string) []session.Limit {
			return []session.Limit{{Name: "attempts", Max: 2, Window: time.Minute}, {Name: "joins", Max: 1, Window: time.Minute, Scope: scope}}
		}
		require.NoError(t, f.Limiter.Take(f.ctx(), "ip:x", "c1", scoped(sessionID), start))
		err := f.Limiter.Take(f.ctx(), "ip:x", "c2", scoped(sessionID), start)
		var limited *session.RateLimitedError
		require.ErrorAs(t, err, &limited, "one join per session")
		assert.Equal(t, "attempts+joins", limited.Limit, "a scoped limit is named without its scope")
		require.NoError(t, f.Limiter.Take(f.ctx(), "ip:x", "c3", scoped(otherSessionID), start), "another session's joins are counted apart")
		err = f.Limiter.Take(f.ctx(), "ip:x", "c4", scoped("third-session-1"), start)
		require.ErrorAs(t, err, &limited, "while the key's unscoped attempts are counted together")
		assert.Equal(t, "attempts+joins", limited.Limit)
	})

	t.Run("HeldSeats are an address's seats of a session still held, earliest first", func(t *testing.T) {
		f := setUp(t, newPorts)
		held, err := f.Limiter.HeldSeats(f.ctx(), sessionID, "ip-a", start)
		require.NoError(t, err)
		assert.Empty(t, held, "nothing noted yet")
		require.NoError(t, f.Limiter.HoldSeat(f.ctx(), sessionID, "l2", "ip-a", start.Add(2*time.Minute)))
		require.NoError(t, f.Limiter.HoldSeat(f.ctx(), sessionID, "l1", "ip-a", start.Add(time.Minute)))
		require.NoError(t, f.Limiter.HoldSeat(f.ctx(), sessionID, "l1", "ip-a", start.Add(time.Minute)), "a repeated hold changes nothing")
		require.NoError(t, f.Limiter.HoldSeat(f.ctx(), sessionID, "l3", "ip-b", start.Add(time.Minute)), "another address")
		require.NoError(t, f.Limiter.HoldSeat(f.ctx(), otherSessionID, "l4", "ip-a", start.Add(time.Minute)), "another session")

		held, err = f.Limiter.HeldSeats(f.ctx(), sessionID, "ip-a", start)
		require.NoError(t, err)
		assert.Equal(t, []time.Time{start.Add(time.Minute), start.Add(2 * time.Minute)}, held)
		held, err = f.Limiter.HeldSeats(f.ctx(), sessionID, "ip-a", start.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, []time.Time{start.Add(2 * time.Minute)}, held, "a seat stops counting when its hold ends")

		require.NoError(t, f.Limiter.UnholdSeat(f.ctx(), sessionID, "l2"))
		require.NoError(t, f.Limiter.UnholdSeat(f.ctx(), sessionID, "l2"), "forgetting twice changes nothing")
		require.NoError(t, f.Limiter.UnholdSeat(f.ctx(), sessionID, "never-held"))
		held, err = f.Limiter.HeldSeats(f.ctx(), sessionID, "ip-a", start)
		require.NoError(t, err)
		assert.Equal(t, []time.Time{start.Add(time.Minute)}, held)
		held, err = f.Limiter.HeldSeats(f.ctx(), otherSessionID, "ip-a", start)
		require.NoError(t, err)
		assert.Equal(t, []time.Time{start.Add(time.Minute)}, held)
	})

	t.Run("HoldSeat and UnholdSeat of many connections at once all land", func(t *testing.T) {
		f := setUp(t, newPorts)
		const n = 30
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				assert.NoError(t, f.Limiter.HoldSeat(f.ctx(), sessionID, fmt.Sprintf("c%d", i), "ip-a", start.Add(time.Minute)))
			})
		}
		wg.Wait()
		held, err := f.Limiter.HeldSeats(f.ctx(), sessionID, "ip-a", start)
		require.NoError(t, err)
		assert.Len(t, held, n, "a mass drop: every hold counted")
		for i := range n - 1 {
			wg.Go(func() { assert.NoError(t, f.Limiter.UnholdSeat(f.ctx(), sessionID, fmt.Sprintf("c%d", i))) })
		}
		wg.Wait()
		held, err = f.Limiter.HeldSeats(f.ctx(), sessionID, "ip-a", start)
		require.NoError(t, err)
		assert.Len(t, held, 1, "a mass return: every one forgotten")
	})
}
