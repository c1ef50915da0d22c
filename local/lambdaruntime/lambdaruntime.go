// Package lambdaruntime is a minimal AWS Lambda Runtime API for tests: it
// hands queued events to a function process started with
// AWS_LAMBDA_RUNTIME_API pointing at it and records the answers, so the real
// binary runs in Lambda mode on this machine.
package lambdaruntime

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// API serves the Runtime API's next/response/error endpoints.
type API struct {
	functionARN string
	events      chan []byte
	answered    chan string
	mu          sync.Mutex
	responses   map[string][]byte
	errors      map[string][]byte
	seq         int
	firstPoll   time.Time
}

// New returns an API that presents itself to the function as functionARN.
func New(functionARN string) *API {
	return &API{
		functionARN: functionARN,
		events:      make(chan []byte, 16),
		answered:    make(chan string, 16),
		responses:   map[string][]byte{},
		errors:      map[string][]byte{},
	}
}

const prefix = "/2018-06-01/runtime/invocation/"

func (a *API) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	switch {
	case req.Method == http.MethodGet && req.URL.Path == prefix+"next":
		a.mu.Lock()
		if a.firstPoll.IsZero() {
			a.firstPoll = time.Now()
		}
		a.mu.Unlock()
		var ev []byte
		select {
		case ev = <-a.events:
		case <-req.Context().Done():
			return
		}
		a.mu.Lock()
		a.seq++
		id := fmt.Sprintf("req-%d", a.seq)
		a.mu.Unlock()
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", id)
		w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(30*time.Second).UnixMilli()))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", a.functionARN)
		_, _ = w.Write(ev)
	case req.Method == http.MethodPost && strings.HasPrefix(req.URL.Path, prefix):
		id, kind, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, prefix), "/")
		body, _ := io.ReadAll(req.Body)
		a.mu.Lock()
		if kind == "response" {
			a.responses[id] = body
		} else {
			a.errors[id] = body
		}
		a.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		a.answered <- id
	default:
		http.NotFound(w, req)
	}
}

// Invoke queues event and waits for the function's answer.
func (a *API) Invoke(event []byte, timeout time.Duration) (response, fnErr []byte, err error) {
	a.Queue(event)
	return a.Await(timeout)
}

// Queue hands event to the function's next poll (it may not run yet).
func (a *API) Queue(event []byte) { a.events <- event }

// Await waits for the next answer: the function's response, or the error
// document it reported.
func (a *API) Await(timeout time.Duration) (response, fnErr []byte, err error) {
	select {
	case id := <-a.answered:
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.responses[id], a.errors[id], nil
	case <-time.After(timeout):
		return nil, nil, fmt.Errorf("the function did not answer within %v", timeout)
	}
}

// FirstPoll is when the function first asked for an event: its
// initialisation was over. Zero until then.
func (a *API) FirstPoll() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.firstPoll
}
