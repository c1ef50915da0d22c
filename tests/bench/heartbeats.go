package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// heartbeats keeps connections heartbeating on their own timers, phases
// spread evenly, as the original clients do from the moment they connect
// until they close. Setting up hundreds of connections on a loaded machine,
// or refreshing them one at a time, can outlast the heartbeat timeout: a
// connection that only heartbeated during the measured phase would be
// silent before and after it, and the sweep rightly closes silent
// listeners and releases their seats after the reconnect window.
type heartbeats struct {
	interval time.Duration
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	failed   atomic.Int64 // sends that failed on a connection still open

	mu   sync.Mutex
	sent map[*client]int
}

func newHeartbeats(ctx context.Context, interval time.Duration) *heartbeats {
	h := &heartbeats{interval: interval, sent: map[*client]int{}}
	h.ctx, h.cancel = context.WithCancel(ctx)
	return h
}

// start heartbeats c until it closes or stop is called.
func (h *heartbeats) start(c *client) {
	h.mu.Lock()
	h.sent[c] = 0
	h.mu.Unlock()
	h.wg.Go(func() {
		t := time.NewTimer(rand.N(h.interval))
		defer t.Stop()
		for {
			select {
			case <-h.ctx.Done():
				return
			case <-c.done:
				return
			case <-t.C:
			}
			if err := c.send(h.ctx, map[string]string{"action": "heartbeat"}); err != nil {
				select {
				case <-c.done: // replaced or ended meanwhile
				default:
					if h.ctx.Err() == nil {
						h.failed.Add(1)
					}
				}
				return
			}
			h.mu.Lock()
			h.sent[c]++
			h.mu.Unlock()
			t.Reset(h.interval)
		}
	})
}

// snapshot returns each connection's heartbeats so far and their total.
func (h *heartbeats) snapshot() (map[*client]int, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[*client]int, len(h.sent))
	total := 0
	for c, n := range h.sent {
		out[c] = n
		total += n
	}
	return out, total
}

// stop ends every heartbeat loop and waits for them.
func (h *heartbeats) stop() {
	h.cancel()
	h.wg.Wait()
}
