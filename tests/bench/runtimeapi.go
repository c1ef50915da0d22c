package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// runtimeAPI is a minimal AWS Lambda Runtime API (the stand-in of
// tests/lambda_test.go, plus the time of the first poll): it hands out
// queued events and records the function's answers, so the real binary runs
// in Lambda mode on this machine.
type runtimeAPI struct {
	events    chan []byte
	mu        sync.Mutex
	responses map[string][]byte
	errors    map[string][]byte
	answered  chan string
	seq       int
	firstPoll time.Time // when the function first asked for an event: its init was over
}

func newRuntimeAPI() *runtimeAPI {
	return &runtimeAPI{events: make(chan []byte, 16), responses: map[string][]byte{}, errors: map[string][]byte{}, answered: make(chan string, 16)}
}

func (r *runtimeAPI) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	const prefix = "/2018-06-01/runtime/invocation/"
	switch {
	case req.Method == http.MethodGet && req.URL.Path == prefix+"next":
		r.mu.Lock()
		if r.firstPoll.IsZero() {
			r.firstPoll = time.Now()
		}
		r.mu.Unlock()
		var ev []byte
		select {
		case ev = <-r.events:
		case <-req.Context().Done():
			return
		}
		r.mu.Lock()
		r.seq++
		id := fmt.Sprintf("req-%d", r.seq)
		r.mu.Unlock()
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(30*time.Second).UnixMilli()))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:sessions-bench")
		_, _ = w.Write(ev)
	case req.Method == http.MethodPost && strings.HasPrefix(req.URL.Path, prefix):
		rest := strings.TrimPrefix(req.URL.Path, prefix)
		id, kind, _ := strings.Cut(rest, "/")
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		if kind == "response" {
			r.responses[id] = body
		} else {
			r.errors[id] = body
		}
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		r.answered <- id
	default:
		http.NotFound(w, req)
	}
}

// await waits for the next answer and returns it.
func (r *runtimeAPI) await(timeout time.Duration) (response, fnErr []byte, err error) {
	select {
	case id := <-r.answered:
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.responses[id], r.errors[id], nil
	case <-time.After(timeout):
		return nil, nil, fmt.Errorf("the function did not answer within %v", timeout)
	}
}

func (r *runtimeAPI) firstPolled() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstPoll
}
