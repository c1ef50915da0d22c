package api

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func load(t testing.TB) *Contract {
	t.Helper()
	c, err := Load()
	require.NoError(t, err)
	return c
}

// examples returns every message example of the document as JSON, by message
// name.
func examples(t testing.TB) map[string][][]byte {
	t.Helper()
	var doc struct {
		Components struct {
			Messages map[string]struct {
				Examples []struct {
					Payload any `yaml:"payload"`
				} `yaml:"examples"`
			} `yaml:"messages"`
		} `yaml:"components"`
	}
	require.NoError(t, yaml.Unmarshal(Document(), &doc))
	out := map[string][][]byte{}
	for name, m := range doc.Components.Messages {
		for _, ex := range m.Examples {
			raw, err := json.Marshal(ex.Payload)
			require.NoError(t, err)
			out[name] = append(out[name], raw)
		}
	}
	return out
}

func TestEveryMessageHasAnExampleThatValidates(t *testing.T) {
	c := load(t)
	ex := examples(t)
	for _, action := range c.Actions() {
		t.Run("client action "+action, func(t *testing.T) {
			require.NotEmpty(t, ex[action], "the document shows an example")
			for _, frame := range ex[action] {
				assert.NoError(t, c.ValidateClientMessage(frame))
			}
		})
	}
	for _, typ := range c.MessageTypes() {
		t.Run("server message "+typ, func(t *testing.T) {
			require.NotEmpty(t, ex[typ], "the document shows an example")
			for _, frame := range ex[typ] {
				assert.NoError(t, c.ValidateServerMessage(frame))
			}
		})
	}
	t.Run("the audio stream's record header", func(t *testing.T) {
		require.NotEmpty(t, ex["audioRecord"], "the document shows an example")
		for _, header := range ex["audioRecord"] {
			assert.NoError(t, c.ValidateAudioRecordHeader(header))
		}
	})
	t.Run("the audio stream's control record header", func(t *testing.T) {
		require.NotEmpty(t, ex["controlRecord"], "the document shows an example")
		for _, header := range ex["controlRecord"] {
			assert.NoError(t, c.ValidateControlRecordHeader(header))
		}
	})
	// The WebSocket messages, each used by an operation, and the audio
	// stream's two records (a Kinesis channel: nothing sends them on a socket).
	assert.Len(t, ex, len(c.Actions())+len(c.MessageTypes())+2, "every component message is used by an operation or is a record of the audio stream")
}

func TestTheDocumentCoversTheProtocol(t *testing.T) {
	c := load(t)
	assert.Equal(t, []string{"changeLanguage", "controlSession", "endSession", "getSessionStatus", "heartbeat", "sendAudio", "speakerControl"}, c.Actions())
	assert.Equal(t, []string{
		"audioData", "broadcastState", "connectionRefreshComplete", "connectionRefreshRequired", "connectionWarning",
		"error", "heartbeatAck", "languageChanged", "listenerCount", "sessionCreated", "sessionEnded", "sessionJoined",
		"sessionPaused", "sessionResumed", "sessionStatus", "speakerDisconnected", "speakerReconnected",
	}, c.MessageTypes())
}

func TestBrokenServerMessagesAreRefused(t *testing.T) {
	c := load(t)
	const ts = `"timestamp":1764300000000`
	cases := []struct {
		name, frame, wantName, wantClosest, wantInError string
	}{
		{"a message without its timestamp", `{"type":"heartbeatAck"}`, "heartbeatAck", "heartbeatAck", "timestamp"},
		{"a timestamp in seconds instead of milliseconds", `{"type":"heartbeatAck","timestamp":1764300000}`, "heartbeatAck", "heartbeatAck", "minimum"},
		{"a welcome without its heartbeat interval", `{"type":"sessionCreated",` + ts + `,"sessionId":"faithful-shepherd-427","sourceLanguage":"en","qualityTier":"standard","connectionId":"c","expiresAt":1764307200000,"partialResultsEnabled":true,"minStabilityThreshold":0.85,"maxBufferTimeout":5}`, "sessionCreated", "sessionCreated", "heartbeatIntervalSeconds"},
		{"a listener welcome without its resume token", `{"type":"sessionJoined",` + ts + `,"sessionId":"faithful-shepherd-427","targetLanguage":"es","sourceLanguage":"en","connectionId":"c","listenerCount":1,"heartbeatIntervalSeconds":30}`, "sessionJoined", "sessionJoined", "resumeToken"},
		{"an end reason outside the enum", `{"type":"sessionEnded",` + ts + `,"sessionId":"faithful-shepherd-427","reason":"bored"}`, "sessionEnded", "sessionEnded", "reason"},
		{"an error code outside the enum", `{"type":"error",` + ts + `,"code":"OOPS","message":"m","details":{}}`, "error", "error", "code"},
		{"a rate-limit error that does not say when to retry", `{"type":"error",` + ts + `,"code":"RATE_LIMIT_EXCEEDED","message":"m","details":{}}`, "error", "error", "retryAfter"},
		{"a volume above 1", `{"type":"broadcastState",` + ts + `,"sessionId":"faithful-shepherd-427","paused":false,"muted":false,"volume":1.5}`, "broadcastState", "broadcastState", "volume"},
		{"a negative listener count", `{"type":"listenerCount",` + ts + `,"sessionId":"faithful-shepherd-427","total":-1,"byLanguage":{}}`, "listenerCount", "listenerCount", "total"},
		{"a count keyed by something that is no language code", `{"type":"listenerCount",` + ts + `,"sessionId":"faithful-shepherd-427","total":1,"byLanguage":{"spanish":1}}`, "listenerCount", "listenerCount", "spanish"},
		{"a malformed session id", `{"type":"sessionPaused",` + ts + `,"sessionId":"Faithful Shepherd"}`, "sessionPaused", "sessionPaused", "sessionId"},
		{"a field the contract does not list", `{"type":"sessionResumed",` + ts + `,"sessionId":"faithful-shepherd-427","extra":1}`, "sessionResumed", "sessionResumed", "extra"},
		{"a speaker refresh welcome carrying a listener's resume token", `{"type":"connectionRefreshComplete",` + ts + `,"sessionId":"faithful-shepherd-427","role":"speaker","resumeToken":"x","heartbeatIntervalSeconds":30}`, "connectionRefreshComplete", "connectionRefreshComplete", "connectionRefreshComplete"},
		{"audio that is not base64", `{"type":"audioData",` + ts + `,"sessionId":"faithful-shepherd-427","targetLanguage":"es","audioData":"not base64!"}`, "audioData", "audioData", "audioData"},
		{"a misspelt type", `{"type":"sessionJoind",` + ts + `}`, "sessionJoind", "sessionJoined", "not one of"},
		{"a frame that says nothing of what it is", `{` + ts + `,"sessionId":"faithful-shepherd-427","reason":"expired"}`, "", "sessionEnded", "no type"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			err := c.ValidateServerMessage([]byte(tc.frame))
			var fe *FrameError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.wantName, fe.Name)
			assert.Equal(t, tc.wantClosest, fe.Closest)
			assert.Contains(t, err.Error(), tc.wantInError)
		})
	}
}

func TestBrokenClientMessagesAreRefused(t *testing.T) {
	c := load(t)
	cases := []struct {
		name, frame, wantClosest, wantInError string
	}{
		{"a control outside the enum", `{"action":"speakerControl","control":"shout"}`, "speakerControl", "control"},
		{"a volume control without its value", `{"action":"speakerControl","control":"volume"}`, "speakerControl", "value"},
		{"a volume below 0", `{"action":"speakerControl","control":"volume","value":-0.1}`, "speakerControl", "value"},
		{"the original command outside pause and resume", `{"action":"controlSession","command":"mute"}`, "controlSession", "command"},
		{"a language change without the language", `{"action":"changeLanguage"}`, "changeLanguage", "targetLanguage"},
		{"a language written as a name", `{"action":"changeLanguage","targetLanguage":"Spanish"}`, "changeLanguage", "targetLanguage"},
		{"audio without its session", `{"action":"sendAudio","audioData":"AAAA"}`, "sendAudio", "sessionId"},
		{"audio larger than a frame", `{"action":"sendAudio","sessionId":"faithful-shepherd-427","audioData":"` + strings.Repeat("A", 40000) + `"}`, "sendAudio", "audioData"},
		{"audio at an impossible sample rate", `{"action":"sendAudio","sessionId":"faithful-shepherd-427","audioData":"AAAA","sampleRate":1}`, "sendAudio", "sampleRate"},
		{"an encoding that is no short name", `{"action":"sendAudio","sessionId":"faithful-shepherd-427","audioData":"AAAA","encoding":"16 bit PCM"}`, "sendAudio", "encoding"},
		{"a negative sequence number", `{"action":"sendAudio","sessionId":"faithful-shepherd-427","audioData":"AAAA","sequence":-1}`, "sendAudio", "sequence"},
		{"an unknown action", `{"action":"heartbeats"}`, "heartbeat", "not one of"},
		{"a frame without an action", `{"control":"pause"}`, "speakerControl", "no action"},
		{"a JSON array", `[1,2]`, "", "not a JSON object"},
		{"text that is not JSON", `hello`, "", "not JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			err := c.ValidateClientMessage([]byte(tc.frame))
			var fe *FrameError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.wantClosest, fe.Closest)
			assert.Contains(t, err.Error(), tc.wantInError)
		})
	}
}

func TestConnectQueries(t *testing.T) {
	c := load(t)
	cases := []struct {
		name, query, wantInError string
	}{
		{"a speaker creating a session is accepted", "action=createSession&sourceLanguage=en&qualityTier=standard&token=t", ""},
		{"a speaker with every stream option is accepted", "action=createSession&sourceLanguage=de&qualityTier=premium&token=t&partialResults=false&minStability=0.7&maxBufferTimeout=10", ""},
		{"a listener joining is accepted", "action=joinSession&sessionId=faithful-shepherd-427&targetLanguage=es", ""},
		{"a speaker refresh is accepted", "action=refreshConnection&role=speaker&sessionId=faithful-shepherd-427&token=t", ""},
		{"a listener refresh is accepted", "action=refreshConnection&role=listener&sessionId=faithful-shepherd-427&targetLanguage=es", ""},
		{"a listener refresh with a resume token is accepted", "action=refreshConnection&role=listener&sessionId=faithful-shepherd-427&targetLanguage=es&resumeToken=r1", ""},
		{"a create without a token is refused", "action=createSession&sourceLanguage=en&qualityTier=standard", "token"},
		{"a quality tier outside the enum is refused", "action=createSession&sourceLanguage=en&qualityTier=gold&token=t", "qualityTier"},
		{"a stability above 0.95 is refused", "action=createSession&sourceLanguage=en&qualityTier=standard&token=t&minStability=0.96", "minStability"},
		{"a buffer timeout that is not a number is refused", "action=createSession&sourceLanguage=en&qualityTier=standard&token=t&maxBufferTimeout=Inf", "maxBufferTimeout"},
		{"partial results as 1 is refused", "action=createSession&sourceLanguage=en&qualityTier=standard&token=t&partialResults=1", "partialResults"},
		{"a join without a language is refused", "action=joinSession&sessionId=faithful-shepherd-427", "targetLanguage"},
		{"a join with a malformed session id is refused", "action=joinSession&sessionId=nope&targetLanguage=es", "sessionId"},
		{"a speaker refresh carrying a resume token is refused", "action=refreshConnection&role=speaker&sessionId=faithful-shepherd-427&token=t&resumeToken=r1", "resumeToken"},
		{"a refresh without a role is refused", "action=refreshConnection&sessionId=faithful-shepherd-427&targetLanguage=es", "no purpose"},
		{"a repeated parameter is refused", "action=joinSession&sessionId=faithful-shepherd-427&targetLanguage=es&targetLanguage=fr", "appears 2 times"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			require.NoError(t, err)
			err = c.ValidateConnectQuery(q)
			if tc.wantInError == "" {
				assert.NoError(t, err)
				return
			}
			var fe *FrameError
			require.True(t, errors.As(err, &fe), "got %v", err)
			assert.Contains(t, err.Error(), tc.wantInError)
		})
	}
}

func TestAReferenceToNothingStopsTheLoad(t *testing.T) {
	broken := strings.Replace(string(Document()), "payload: {$ref: '#/components/schemas/heartbeat'}", "payload: {$ref: '#/components/schemas/nothing'}", 1)
	require.NotEqual(t, string(Document()), broken)
	_, err := compile([]byte(broken))
	assert.ErrorContains(t, err, "heartbeat")
}
