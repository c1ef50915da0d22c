package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/app"
	"github.com/livecast/sessions/audiostream"
	"github.com/livecast/sessions/router"
	"github.com/livecast/sessions/session"
)

// languageSets lists the language sets of sessionID's languages records,
// in stream order.
func (s *system) languageSets(t *testing.T, sessionID string) [][]string {
	t.Helper()
	var sets [][]string
	for _, r := range s.controlRecords(t, sessionID) {
		if r.Control.Kind == session.PipelineLanguages {
			sets = append(sets, r.Control.TargetLanguages)
		}
	}
	return sets
}

// awaitLanguageSets waits until the stream holds want's language sets of
// sessionID, and then checks them.
func (s *system) awaitLanguageSets(t *testing.T, sessionID string, want ...[]string) {
	t.Helper()
	var got [][]string
	eventually(t, func() bool { got = s.languageSets(t, sessionID); return len(got) >= len(want) }, fmt.Sprintf("%d language sets on the stream", len(want)))
	assert.Equal(t, want, got)
}

// puts runs op and returns how many PutRecord requests it made.
func (s *system) puts(op func()) int64 {
	before := s.kinesis.Count("PutRecord")
	op()
	return s.kinesis.Count("PutRecord") - before
}

func TestThePipelineSeesEachLanguageComeAndGoOnTheStream(t *testing.T) {
	sys := startSystem(t, nil)
	var spk *client
	var id string
	assert.Equal(t, int64(1), sys.puts(func() { spk, id = sys.speaker(t, "alice") }), "an opening puts one record")
	opened := sys.controlRecords(t, id)
	require.Len(t, opened, 1)
	assert.Equal(t, session.PipelineOpened, opened[0].Control.Kind)
	assert.Equal(t, "en", opened[0].Control.SourceLanguage)
	assert.Equal(t, id, opened[0].partitionKey, "the session's partition key, as its audio")

	var es1, es2, fr *client
	assert.Equal(t, int64(1), sys.puts(func() { es1 = sys.listener(t, id, "es") }), "a language's first listener: one record")
	assert.Equal(t, int64(0), sys.puts(func() { es2 = sys.listener(t, id, "es") }), "its second: none")
	assert.Equal(t, int64(1), sys.puts(func() { fr = sys.listener(t, id, "fr") }))
	sys.awaitLanguageSets(t, id, []string{"es"}, []string{"es", "fr"})

	assert.Equal(t, int64(0), sys.puts(func() { sys.closeAndAwaitDisconnect(t, es1) }), "es keeps a listener: none")
	assert.Equal(t, int64(1), sys.puts(func() { sys.closeAndAwaitDisconnect(t, fr) }), "the last fr listener leaves: one record")
	sys.awaitLanguageSets(t, id, []string{"es"}, []string{"es", "fr"}, []string{"es"})

	assert.Equal(t, int64(1), sys.puts(func() {
		spk.send(map[string]string{"action": "speakerControl", "control": "pause"})
		spk.skipUntil("broadcastState")
	}), "a pause puts one record")
	assert.Equal(t, int64(1), sys.puts(func() { sys.closeAndAwaitDisconnect(t, es2) }))
	sys.awaitLanguageSets(t, id, []string{"es"}, []string{"es", "fr"}, []string{"es"}, []string{})

	sys.closeAndAwaitDisconnect(t, spk)
	var kinds []string
	eventually(t, func() bool {
		recs := sys.controlRecords(t, id)
		kinds = kinds[:0]
		for _, r := range recs {
			kinds = append(kinds, r.Control.Kind)
		}
		return len(kinds) == 7
	}, "the end on the stream")
	assert.Equal(t, []string{"sessionOpened", "languages", "languages", "languages", "paused", "languages", "ended"}, kinds)
}

func TestAJoinStormIntoOneLanguagePutsOneLanguageRecord(t *testing.T) {
	sys := startSystem(t, map[string]string{"RATE_LIMIT_LISTENER_JOINS_PER_MIN": "1000", "RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN": "1000"})
	_, id := sys.speaker(t, "alice")
	const joins = 40
	before := sys.kinesis.Count("PutRecord")
	var wg sync.WaitGroup
	for range joins {
		wg.Go(func() { sys.listener(t, id, "es") })
	}
	wg.Wait()
	t.Logf("%d joins into one language: %d PutRecord", joins, sys.kinesis.Count("PutRecord")-before)
	assert.Equal(t, int64(1), sys.kinesis.Count("PutRecord")-before, "only the write that took es from 0 to 1 publishes")
	assert.Equal(t, [][]string{{"es"}}, sys.languageSets(t, id))
}

func TestTheLoopbackFollowsTheLanguagesOnTheStreamWithoutReadingTheTable(t *testing.T) {
	sys := startSystemWith(t, nil, systemOptions{audioLoopback: true})
	spk, id := sys.speaker(t, "alice")
	es := sys.listener(t, id, "es")
	spk.send(audioFrame(id, chunkAudio(0)))
	assert.Equal(t, "es", es.skipUntil("audioData")["targetLanguage"])

	de := sys.listener(t, id, "de")
	sys.awaitLanguageSets(t, id, []string{"es"}, []string{"de", "es"})
	spk.send(audioFrame(id, chunkAudio(1)))
	m := de.skipUntil("audioData")
	audio, err := base64.StdEncoding.DecodeString(m["audioData"].(string))
	require.NoError(t, err)
	assert.Equal(t, chunkAudio(1), audio, "a language that joined is produced from the next chunk")
	assert.Equal(t, "es", es.skipUntil("audioData")["targetLanguage"])
}

// secondInstance builds a second service graph over sys's table and stream,
// as a second Lambda instance of the same function: nothing in memory is
// shared with sys's, and it posts through the same @connections API.
func secondInstance(t *testing.T, sys *system) app.Graph {
	t.Helper()
	return app.Build(sys.cfg, app.Parts{
		AWS: sys.awsCfg, ManagementEndpoint: sys.Gateway.ManagementEndpoint(), Verifier: nil,
		Scheduler: router.SchedulerFunc(func(context.Context, []byte) error { return nil }),
		Logger:    app.NewLogger(io.Discard, sys.cfg.LogLevel), Now: sys.clock.Now,
	})
}

// sendAudioEvent is the event API Gateway gives the function for one
// sendAudio frame of connectionID, received at receivedMs.
func sendAudioEvent(t *testing.T, connectionID, sessionID string, audio []byte, receivedMs int64) json.RawMessage {
	t.Helper()
	body, err := json.Marshal(audioFrame(sessionID, audio))
	require.NoError(t, err)
	ev, err := json.Marshal(events.APIGatewayWebsocketProxyRequest{
		Body: string(body),
		RequestContext: events.APIGatewayWebsocketProxyRequestContext{
			RouteKey: "sendAudio", EventType: "MESSAGE", ConnectionID: connectionID, RequestTimeEpoch: receivedMs,
			RequestID: fmt.Sprintf("req-%d", receivedMs), Stage: "local",
		},
	})
	require.NoError(t, err)
	return ev
}

// Lambda spreads one speaker's frames over function instances, and a long
// talk moves the speaker onto new connections: the sequences the stream
// carries stay unique and increasing for the session through both.
func TestSequencesStayUniqueAcrossTwoInstancesAndARefresh(t *testing.T) {
	sys := startSystem(t, nil)
	other := secondInstance(t, sys)
	spk, id := sys.speaker(t, "alice")
	speakerConn := sys.speakerConnection(t, id)
	n := 0
	// viaOther sends chunk n through the second instance; its put is done
	// when Handle returns.
	viaOther := func(conn string) {
		_, err := other.Router.Handle(t.Context(), sendAudioEvent(t, conn, id, chunkAudio(n), sys.clock.Now().UnixMilli()))
		require.NoError(t, err)
		n++
	}
	viaSocket := func(c *client) {
		c.send(audioFrame(id, chunkAudio(n)))
		n++
		sys.awaitRecords(t, id, n)
	}
	for range 3 {
		viaSocket(spk)
		viaOther(speakerConn)
	}
	// The speaker refreshes (the two-hour wall): a new connection, served by
	// both instances again.
	spk2 := sys.dial(t, query("action", "refreshConnection", "role", "speaker", "sessionId", id, "token", sys.token(t, "alice")))
	spk2.skipUntil("connectionRefreshComplete")
	newConn := sys.speakerConnection(t, id)
	require.NotEqual(t, speakerConn, newConn)
	for range 3 {
		viaOther(newConn)
		viaSocket(spk2)
	}
	recs := sys.awaitRecords(t, id, n)
	var seqs []int64
	for i, r := range recs {
		assert.Equal(t, chunkAudio(i), r.Audio, "chunk %d in the order sent", i)
		assert.Equal(t, audiostream.SequenceFromService, r.SequenceSource)
		seqs = append(seqs, r.Sequence)
	}
	assert.True(t, slices.IsSorted(seqs) && len(slices.Compact(slices.Clone(seqs))) == len(seqs), "unique and increasing in stream order: %v", seqs)

	t.Run("concurrently, no number is handed out twice", func(t *testing.T) {
		var wg sync.WaitGroup
		const each = 10
		for i := range each {
			wg.Go(func() {
				_, err := other.Router.Handle(context.Background(), sendAudioEvent(t, newConn, id, []byte(fmt.Sprintf("burst-%d", i)), time.Now().UnixMilli()))
				assert.NoError(t, err)
			})
			spk2.send(audioFrame(id, []byte(fmt.Sprintf("burst-socket-%d", i))))
		}
		wg.Wait()
		recs := sys.awaitRecords(t, id, n+2*each)
		seen := map[int64]bool{}
		for _, r := range recs {
			assert.False(t, seen[r.Sequence], "sequence %d twice", r.Sequence)
			seen[r.Sequence] = true
		}
		assert.Len(t, seen, n+2*each)
	})
	spk2.noErrors(300 * time.Millisecond)
}
