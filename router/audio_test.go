package router

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

// postRecorder is an @connections API that records what is posted.
type postRecorder struct {
	mu    sync.Mutex
	posts map[string][][]byte
}

func (p *postRecorder) PostToConnection(_ context.Context, in *apigatewaymanagementapi.PostToConnectionInput, _ ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.PostToConnectionOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts[aws.ToString(in.ConnectionId)] = append(p.posts[aws.ToString(in.ConnectionId)], in.Data)
	return &apigatewaymanagementapi.PostToConnectionOutput{}, nil
}

func (p *postRecorder) DeleteConnection(context.Context, *apigatewaymanagementapi.DeleteConnectionInput, ...func(*apigatewaymanagementapi.Options)) (*apigatewaymanagementapi.DeleteConnectionOutput, error) {
	return &apigatewaymanagementapi.DeleteConnectionOutput{}, nil
}

// oneSession serves one live session whose speaker is "speaker".
type oneSession struct{}

const audioTestSession = "holy-lamb-101"

func (oneSession) Get(_ context.Context, id string) (session.Session, error) {
	if id != audioTestSession {
		return session.Session{}, session.ErrNotFound
	}
	return session.Session{ID: id, SpeakerConnectionID: "speaker", SourceLanguage: "en", Active: true, ExpiresAt: time.Now().Add(time.Hour)}, nil
}

type sinkRecorder struct {
	mu     sync.Mutex
	chunks []session.AudioChunk
}

func (s *sinkRecorder) Put(_ context.Context, c session.AudioChunk) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chunks = append(s.chunks, c)
	return nil
}

func (s *sinkRecorder) taken() []session.AudioChunk {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]session.AudioChunk(nil), s.chunks...)
}

func audioRouter(cfg session.AudioConfig) (*Router, *postRecorder, *sinkRecorder) {
	posts := &postRecorder{posts: map[string][][]byte{}}
	sink := &sinkRecorder{}
	ingress := session.NewAudioIngress(cfg, session.AudioDeps{Sessions: oneSession{}, Sink: sink})
	return New(Options{Audio: ingress, Messenger: NewMessenger(posts, nil)}), posts, sink
}

func audioEvent(t testing.TB, connID, body string) []byte {
	t.Helper()
	ev := events.APIGatewayWebsocketProxyRequest{Body: body, RequestContext: events.APIGatewayWebsocketProxyRequestContext{
		EventType: "MESSAGE", RouteKey: RouteSendAudio, ConnectionID: connID, RequestID: "req-1", RequestTimeEpoch: 1_700_000_000_123,
	}}
	raw, err := json.Marshal(ev)
	require.NoError(t, err)
	return raw
}

func TestTheOriginalSpeakerFrameIsForwardedWithoutAReply(t *testing.T) {
	rt, posts, sink := audioRouter(session.AudioConfig{})
	body := `{"action":"sendAudio","sessionId":"holy-lamb-101","audioData":"` + base64.StdEncoding.EncodeToString([]byte("pcm")) + `"}`
	_, err := rt.Handle(context.Background(), audioEvent(t, "speaker", body))
	require.NoError(t, err)
	chunks := sink.taken()
	require.Len(t, chunks, 1)
	assert.Equal(t, []byte("pcm"), chunks[0].Audio)
	assert.Equal(t, time.UnixMilli(1_700_000_000_123), chunks[0].ReceivedAt, "API Gateway's receive time")
	assert.Empty(t, posts.posts, "success sends nothing back")
}

func TestRefusedFramesAreAnsweredWithAnError(t *testing.T) {
	cases := []struct {
		name, conn, body, code, field string
	}{
		{"a listener is forbidden", "listener", `{"action":"sendAudio","sessionId":"holy-lamb-101","audioData":"YQ=="}`, "FORBIDDEN", ""},
		{"a field of the wrong type is named", "speaker", `{"action":"sendAudio","sessionId":"holy-lamb-101","audioData":"YQ==","sequence":"one"}`, "INVALID_PARAMETERS", "sequence"},
		{"a fractional sequence is refused", "speaker", `{"action":"sendAudio","sessionId":"holy-lamb-101","audioData":"YQ==","sequence":1.5}`, "INVALID_PARAMETERS", "sequence"},
		{"a body that is not JSON is refused", "speaker", `sendAudio please`, "INVALID_PARAMETERS", ""},
		{"bad base64 is named", "speaker", `{"action":"sendAudio","sessionId":"holy-lamb-101","audioData":"%%%"}`, "INVALID_PARAMETERS", "audioData"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rt, posts, sink := audioRouter(session.AudioConfig{})
			_, err := rt.Handle(context.Background(), audioEvent(t, tc.conn, tc.body))
			require.NoError(t, err)
			assert.Empty(t, sink.taken())
			require.Len(t, posts.posts[tc.conn], 1)
			var msg struct {
				Type, Code, RequestID string
				Details               struct{ Field string }
			}
			require.NoError(t, json.Unmarshal(posts.posts[tc.conn][0], &msg))
			assert.Equal(t, "error", msg.Type)
			assert.Equal(t, tc.code, msg.Code)
			assert.Equal(t, tc.field, msg.Details.Field)
			assert.Equal(t, "req-1", msg.RequestID)
		})
	}
}

func TestSendAudioWithoutAnIngressIsUnavailable(t *testing.T) {
	posts := &postRecorder{posts: map[string][][]byte{}}
	rt := New(Options{Messenger: NewMessenger(posts, nil)})
	_, err := rt.Handle(context.Background(), audioEvent(t, "speaker", `{"action":"sendAudio","sessionId":"holy-lamb-101","audioData":"YQ=="}`))
	require.NoError(t, err)
	require.Len(t, posts.posts["speaker"], 1)
	assert.Contains(t, string(posts.posts["speaker"][0]), "SERVICE_UNAVAILABLE")
}

// FuzzSendAudioFrame feeds arbitrary frames through the router's sendAudio
// path to the domain's checks: every frame is either forwarded with exactly
// the audio its audioData encodes, within the size limit, or answered with
// one error of a code the protocol defines; nothing panics.
func FuzzSendAudioFrame(f *testing.F) {
	for _, seed := range []string{
		`{"action":"sendAudio","sessionId":"holy-lamb-101","audioData":"YWJj"}`,
		`{"action":"sendAudio","sessionId":"holy-lamb-101","audioData":"YWJj","sequence":3,"sampleRate":16000,"encoding":"pcm16"}`,
		`{"action":"sendAudio","sessionId":"holy-lamb-101","audioData":"YWJ"}`,
		`{"action":"sendAudio","sessionId":"brave-shepherd-202","audioData":"YWJj"}`,
		`{"action":"sendAudio","sessionId":"x","audioData":""}`,
		`{"action":"sendAudio","sessionId":null,"audioData":7}`,
		`{"sequence":-1}`,
		`[]`,
		``,
	} {
		f.Add(seed)
	}
	codes := map[string]bool{"INVALID_PARAMETERS": true, "INVALID_SESSION_ID": true, "FORBIDDEN": true, "SESSION_NOT_FOUND": true}
	f.Fuzz(func(t *testing.T, body string) {
		rt, posts, sink := audioRouter(session.AudioConfig{ChunksPerSecond: 1_000_000})
		ev := events.APIGatewayWebsocketProxyRequest{Body: body, RequestContext: events.APIGatewayWebsocketProxyRequestContext{ConnectionID: "speaker", RouteKey: RouteSendAudio}}
		_, err := rt.sendAudio(context.Background(), ev, time.Now())
		require.NoError(t, err)
		chunks, replies := sink.taken(), posts.posts["speaker"]
		require.Equal(t, 1, len(chunks)+len(replies), "forwarded or answered, exactly once")
		if len(replies) == 1 {
			var msg struct{ Type, Code string }
			require.NoError(t, json.Unmarshal(replies[0], &msg))
			assert.Equal(t, "error", msg.Type)
			assert.True(t, codes[msg.Code], "code %q", msg.Code)
			return
		}
		var frame audioFrame
		require.NoError(t, json.Unmarshal([]byte(body), &frame))
		assert.Equal(t, frame.AudioData, base64.StdEncoding.EncodeToString(chunks[0].Audio))
		assert.LessOrEqual(t, len(chunks[0].Audio), session.MaxAudioChunkBytes)
		assert.NotEmpty(t, chunks[0].Audio)
	})
}
