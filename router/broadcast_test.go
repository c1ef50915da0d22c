package router

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
	"github.com/livecast/sessions/session/sessiontest"
)

// throttlingAPI answers every post 429, as @connections does when the
// account's request quota is spent.
type throttlingAPI struct{ postRecorder }

func (*throttlingAPI) PostToConnection(context.Context, *apigatewaymanagementapi.PostToConnectionInput, ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.PostToConnectionOutput, error) {
	return nil, &types.LimitExceededException{Message: aws.String("Limit Exceeded")}
}

func TestAThrottledPostIsTheDomainsRetryableError(t *testing.T) {
	err := NewMessenger(&throttlingAPI{}, nil).Send(t.Context(), "c1", session.Payload{Data: json.RawMessage(`{}`)})
	assert.ErrorIs(t, err, session.ErrThrottled)
	assert.NotErrorIs(t, err, session.ErrConnectionGone)
	assert.Equal(t, aws.FalseTernary, noThrottleRetry{}.IsErrorRetryable(&types.LimitExceededException{}), "the SDK leaves throttles to the domain")
	assert.Equal(t, aws.UnknownTernary, noThrottleRetry{}.IsErrorRetryable(errors.New("connection reset")))
}

// pagedRouter is a router over an in-memory store with listeners l0..l<n-1>
// of "de", whose scheduled events are kept rather than run.
type pagedRouter struct {
	*Router
	posts   *postRecorder
	metrics *bytes.Buffer
	mu      sync.Mutex
	events  [][]byte
}

func newPagedRouter(t *testing.T, listeners, pageSize int) *pagedRouter {
	t.Helper()
	const id = "holy-lamb-101"
	mem := sessiontest.NewMemory()
	now := time.Now()
	s := session.Session{ID: id, SpeakerConnectionID: "spk", SpeakerUserID: "u", SourceLanguage: "en", QualityTier: "standard",
		CreatedAt: now, ExpiresAt: now.Add(time.Hour), Active: true, ByLanguage: map[string]int{"de": listeners}, ListenerCount: listeners}
	mem.PutSession(s)
	for i := range listeners {
		mem.PutConnection(session.Connection{ID: fmt.Sprintf("l%d", i), SessionID: id, Role: session.RoleListener, TargetLanguage: "de", ConnectedAt: now, LastSeenAt: now})
	}
	p := &pagedRouter{posts: &postRecorder{posts: map[string][][]byte{}}, metrics: &bytes.Buffer{}}
	msgr := NewMessenger(p.posts, nil)
	sched := SchedulerFunc(func(_ context.Context, ev []byte) error {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.events = append(p.events, ev)
		return nil
	})
	svc := session.New(session.Config{BroadcastPageSize: pageSize, MaxListenersPerSession: 1000}, session.Deps{
		Sessions: mem.Sessions(), Connections: mem.Connections(), Scans: mem.Scans(), Limiter: sessiontest.NewLimiter(), Messenger: msgr,
		Pages: PageScheduler{Scheduler: sched},
	})
	p.Router = New(Options{Service: svc, Messenger: msgr, Scheduler: sched, Metrics: NewMetrics(p.metrics, "Test", nil)})
	return p
}

func (p *pagedRouter) invoke(t *testing.T, ev []byte) BroadcastResult {
	t.Helper()
	out, err := p.Handle(t.Context(), ev)
	require.NoError(t, err)
	var res BroadcastResult
	require.NoError(t, json.Unmarshal(out, &res))
	return res
}

// calls sums the ConnectionsApiCalls data emitted so far.
func (p *pagedRouter) calls(t *testing.T) int {
	total := 0
	for line := range strings.SplitSeq(strings.TrimSpace(p.metrics.String()), "\n") {
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &doc))
		if n, ok := doc[MetricConnectionsAPICalls].(float64); ok {
			total += int(n)
		}
	}
	return total
}

func TestABroadcastIsPostedInPagesByParallelInvocations(t *testing.T) {
	p := newPagedRouter(t, 5, 2)
	payload := json.RawMessage(`{"type":"audioData","sessionId":"holy-lamb-101","targetLanguage":"de","audioData":"AA==","sequence":3}`)
	ev, err := NewBroadcastEventWithAge("holy-lamb-101", "de", payload, 800*time.Millisecond)
	require.NoError(t, err)

	res := p.invoke(t, ev)

	assert.Equal(t, BroadcastResult{Delivered: 2, Listeners: 5, PagesScheduled: 2}, res)
	require.Len(t, p.events, 2)
	for _, pe := range p.events {
		var page pageEvent
		require.NoError(t, json.Unmarshal(pe, &page))
		assert.Equal(t, "broadcastPage", page.Internal)
		assert.LessOrEqual(t, len(page.ConnectionIDs), 2)
		assert.NotZero(t, page.Deadline, "the age travels with the page")
		assert.JSONEq(t, string(payload), string(page.Payload))
		got := p.invoke(t, pe)
		assert.Equal(t, len(page.ConnectionIDs), got.Delivered)
	}
	for i := range 5 {
		id := fmt.Sprintf("l%d", i)
		require.Len(t, p.posts.posts[id], 1, id)
		assert.JSONEq(t, string(payload), string(p.posts.posts[id][0]))
	}
	assert.Equal(t, 5, p.calls(t), "every @connections call is counted once, in the invocation that made it")
}

func TestBroadcastRefusalsAreData(t *testing.T) {
	p := newPagedRouter(t, 1, 10)
	big := `"` + strings.Repeat("A", MaxBroadcastPayload) + `"`
	for name, ev := range map[string]string{
		"a payload larger than one post":   `{"sessionService":"broadcast","sessionId":"holy-lamb-101","targetLanguage":"de","payload":` + big + `}`,
		"audioData without a sequence":     `{"sessionService":"broadcast","sessionId":"holy-lamb-101","targetLanguage":"de","payload":{"type":"audioData"}}`,
		"an age beyond Lambda's longest":   `{"sessionService":"broadcast","sessionId":"holy-lamb-101","targetLanguage":"de","payload":{},"maxAgeMs":900001}`,
		"a session id of the wrong shape":  `{"sessionService":"broadcast","sessionId":"x","targetLanguage":"de","payload":{}}`,
		"an event that is not even a form": `{"sessionService":"broadcast","sessionId":7}`,
	} {
		t.Run(name, func(t *testing.T) {
			res := p.invoke(t, []byte(ev))
			require.NotNil(t, res.Refused)
			assert.NotEmpty(t, res.Refused.Code)
		})
	}
	assert.Empty(t, p.posts.posts)
}
