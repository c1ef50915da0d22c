package router

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/livecast/sessions/session"
)

// Metric names (docs/SPEC.md R18), in CloudWatch namespace Options.MetricsNamespace.
const (
	MetricSessionCreationLatency = "SessionCreationLatency"
	MetricListenerJoinLatency    = "ListenerJoinLatency"
	MetricHeartbeatLatency       = "HeartbeatLatency"
	MetricActiveSessions         = "ActiveSessions"
	MetricTotalListeners         = "TotalListeners"
	MetricConnectionErrors       = "ConnectionErrors"
	MetricRateLimitExceeded      = "RateLimitExceeded"
	// MetricSweepCompleted is 1 per sweep that finished: the heartbeat whose
	// absence the infrastructure alarms on (a stopped or failing sweep).
	MetricSweepCompleted = "SweepCompleted"
	// MetricConnectionsAPICalls counts @connections calls (PostToConnection
	// and DeleteConnection, each retry included), one datum per invocation:
	// summed per second it is what the account's request quota counts.
	MetricConnectionsAPICalls = "ConnectionsApiCalls"
	// MetricBroadcastStale counts broadcast posts dropped for their age.
	MetricBroadcastStale = "BroadcastStale"
)

// Units of the CloudWatch Embedded Metric Format.
const (
	unitMilliseconds = "Milliseconds"
	unitCount        = "Count"
)

// Metrics writes CloudWatch Embedded Metric Format documents, one JSON line
// each: Lambda sends stdout to CloudWatch Logs, which extracts the metrics
// without any API call on the request path. (No EMF library is available to
// this project, and the format is small.)
type Metrics struct {
	mu        sync.Mutex
	w         io.Writer
	namespace string
	now       func() time.Time
}

// NewMetrics returns an emitter writing to w; nil w discards.
func NewMetrics(w io.Writer, namespace string, now func() time.Time) *Metrics {
	if w == nil {
		w = io.Discard
	}
	if namespace == "" {
		namespace = "SessionService"
	}
	if now == nil {
		now = time.Now
	}
	return &Metrics{w: w, namespace: namespace, now: now}
}

type metric struct {
	name  string
	unit  string
	value float64
}

type emfMetricDefinition struct {
	Name string `json:"Name"`
	Unit string `json:"Unit,omitempty"`
}

type emfDirective struct {
	Namespace  string                `json:"Namespace"`
	Dimensions [][]string            `json:"Dimensions"`
	Metrics    []emfMetricDefinition `json:"Metrics"`
}

type emfMetadata struct {
	Timestamp         int64          `json:"Timestamp"`
	CloudWatchMetrics []emfDirective `json:"CloudWatchMetrics"`
}

// emit writes one document: every metric shares the dimensions given (their
// keys become one DimensionSet; none means the metric has no dimensions).
func (m *Metrics) emit(dims map[string]string, metrics ...metric) {
	if m == nil || len(metrics) == 0 {
		return
	}
	doc := map[string]any{}
	set := make([]string, 0, len(dims))
	for k, v := range dims {
		set = append(set, k)
		doc[k] = v
	}
	dir := emfDirective{Namespace: m.namespace, Dimensions: [][]string{set}}
	for _, mt := range metrics {
		dir.Metrics = append(dir.Metrics, emfMetricDefinition{Name: mt.name, Unit: mt.unit})
		doc[mt.name] = mt.value
	}
	doc["_aws"] = emfMetadata{Timestamp: m.now().UnixMilli(), CloudWatchMetrics: []emfDirective{dir}}
	line, err := json.Marshal(doc)
	if err != nil {
		return // maps of strings and floats always encode
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _ = m.w.Write(append(line, '\n'))
}

func (m *Metrics) latency(name string, d time.Duration) {
	m.emit(nil, metric{name: name, unit: unitMilliseconds, value: float64(d.Microseconds()) / 1000})
}

func (m *Metrics) count(name string, n int, dims map[string]string) {
	m.emit(dims, metric{name: name, unit: unitCount, value: float64(n)})
}

// observe records the metrics of one handled operation (docs/SPEC.md R18): latency of
// creations, joins and heartbeats; every error by code; rate-limit refusals.
func (r *Router) observe(operation string, start time.Time, err error) {
	if err != nil {
		code := session.ErrorCode(err)
		r.metrics.count(MetricConnectionErrors, 1, map[string]string{"ErrorCode": string(code)})
		if code == session.CodeRateLimitExceeded {
			r.metrics.count(MetricRateLimitExceeded, 1, nil)
		}
		return
	}
	elapsed := r.now().Sub(start)
	switch operation {
	case session.ActionCreate:
		r.metrics.latency(MetricSessionCreationLatency, elapsed)
	case session.ActionJoin:
		r.metrics.latency(MetricListenerJoinLatency, elapsed)
	case RouteHeartbeat:
		r.metrics.latency(MetricHeartbeatLatency, elapsed)
	}
}
