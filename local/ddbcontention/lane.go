package ddbcontention

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
)

// flight is one admitted request's place in the lane: the emulator gets one
// request at a time, in the order the proxy admitted them, so what the
// proxy decided on arrival is what the emulator applies.
type flight struct {
	after    <-chan struct{} // closed when the request admitted before this one is done upstream
	done     chan struct{}   // closed when this one is done upstream (or gave up its turn)
	claimed  atomic.Bool     // the turn is being used or given up: done will be closed
	writes   []itemID        // items a single or batch write is applying while upstream
	released <-chan struct{} // a write transaction's hold has ended; nil for other requests
}

type flightKey struct{}

// abandon gives up the turn of a request that never reached the emulator,
// so the requests admitted after it still get theirs.
func (f *flight) abandon() {
	if f.claimed.CompareAndSwap(false, true) {
		go func() { <-f.after; close(f.done) }()
	}
}

// laneTransport forwards a request when its turn comes and reads the whole
// answer before passing the turn on, so a slow client never stalls the
// emulator for the others.
type laneTransport struct {
	p    *Proxy
	base http.RoundTripper
}

func (t laneTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	f, _ := req.Context().Value(flightKey{}).(*flight)
	if f == nil || !f.claimed.CompareAndSwap(false, true) {
		return nil, errors.New("ddbcontention: request without a turn in the lane")
	}
	select {
	case <-f.after:
	case <-req.Context().Done():
		go func() { <-f.after; close(f.done) }()
		return nil, req.Context().Err()
	}
	defer close(f.done)
	t.p.markWriting(f.writes, 1)
	defer t.p.markWriting(f.writes, -1)
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// awaitHold keeps a write transaction's answer until its hold ends: DynamoDB
// does not answer before the commit, and a client must not meet its own
// finished transaction's hold.
func awaitHold(resp *http.Response) error {
	ctx := resp.Request.Context()
	f, _ := ctx.Value(flightKey{}).(*flight)
	if f == nil || f.released == nil {
		return nil
	}
	select {
	case <-f.released:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
