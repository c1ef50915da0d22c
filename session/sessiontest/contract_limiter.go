package sessiontest

import (
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
}
