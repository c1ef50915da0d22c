package session_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/session"
)

// pipelineRecorder is a recording session.PipelineEvents; fault, while set,
// is returned by every Publish (the stream is down).
type pipelineRecorder struct {
	mu     sync.Mutex
	events []session.PipelineEvent
	fault  error
}

func (p *pipelineRecorder) Publish(_ context.Context, ev session.PipelineEvent) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fault != nil {
		return p.fault
	}
	p.events = append(p.events, ev)
	return nil
}

// kinds lists what was published, as "kind" or "kind:detail" (the language
// set, or the reason), in order.
func (p *pipelineRecorder) kinds() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, ev := range p.events {
		switch {
		case ev.Kind == session.PipelineLanguages:
			out = append(out, fmt.Sprintf("languages:%v", ev.TargetLanguages))
		case ev.Reason != "":
			out = append(out, ev.Kind+":"+ev.Reason)
		default:
			out = append(out, ev.Kind)
		}
	}
	return out
}

func (p *pipelineRecorder) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = nil
}

func (p *pipelineRecorder) last() session.PipelineEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.events[len(p.events)-1]
}

func TestOpeningTellsThePipelineTheSpeakersSettings(t *testing.T) {
	f := newFixture(t, session.Config{})
	w, err := f.connect("spk", "10.0.0.1", "action=createSession&sourceLanguage=en&qualityTier=premium&partialResults=false&minStability=0.8&maxBufferTimeout=4&token="+aliceToken)
	require.NoError(t, err)
	require.Len(t, f.events.events, 1)
	assert.Equal(t, session.PipelineEvent{Kind: session.PipelineOpened, SessionID: w.SessionID, StateVersion: 1, At: start,
		SourceLanguage: "en", QualityTier: "premium", Options: session.StreamOptions{PartialResults: false, MinStability: 0.8, MaxBufferTimeout: 4}}, f.events.events[0])
}

func TestThePipelineHearsALanguageSetOnlyWhenItChanges(t *testing.T) {
	f := newFixture(t, session.Config{})
	id := f.create("spk")
	f.events.reset()

	f.join("es1", "10.0.1.1", id, "es")
	f.join("es2", "10.0.1.2", id, "es")
	f.join("fr1", "10.0.1.3", id, "fr")
	assert.Equal(t, []string{"languages:[es]", "languages:[es fr]"}, f.events.kinds(), "a language's second listener changes nothing")

	f.events.reset()
	require.NoError(t, f.svc.Disconnect(f.ctx(), "es1", session.CloseNormal))
	assert.Empty(t, f.events.kinds(), "es still has a listener")
	require.NoError(t, f.svc.Disconnect(f.ctx(), "fr1", session.CloseNormal))
	assert.Equal(t, []string{"languages:[es]"}, f.events.kinds(), "the last fr listener left")
	require.NoError(t, f.svc.Disconnect(f.ctx(), "es2", 1006))
	assert.Equal(t, []string{"languages:[es]"}, f.events.kinds(), "a lost listener's seat is held: its language stays")

	t.Run("each set carries the version of the write that made it", func(t *testing.T) {
		assert.Equal(t, f.stored(id).StateVersion, f.events.last().StateVersion)
	})
}

func TestAJoinStormIntoOneLanguagePublishesOnce(t *testing.T) {
	f := newFixture(t, session.Config{})
	id := f.create("spk")
	f.events.reset()
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			_, err := f.connect(fmt.Sprintf("l%d", i), fmt.Sprintf("10.1.%d.%d", i/200, i%200), "action=joinSession&sessionId="+id+"&targetLanguage=es")
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, 100, f.stored(id).ListenerCount)
	assert.Equal(t, []string{"languages:[es]"}, f.events.kinds())
}

func TestChangingLanguagePublishesTheSetWhenItChanges(t *testing.T) {
	f := newFixture(t, session.Config{})
	f.seed("es", "es")
	require.NoError(t, f.svc.ChangeLanguage(f.ctx(), "l0", "de"))
	assert.Equal(t, []string{"languages:[de es]"}, f.events.kinds(), "de gained its first listener")
	f.events.reset()
	require.NoError(t, f.svc.ChangeLanguage(f.ctx(), "l1", "de"))
	assert.Equal(t, []string{"languages:[de]"}, f.events.kinds(), "es lost its last")
	f.events.reset()
	require.NoError(t, f.svc.ChangeLanguage(f.ctx(), "l1", "de"))
	assert.Empty(t, f.events.kinds(), "a repeated switch changes nothing")
}

func TestThePipelineHearsPausesAndTheEnd(t *testing.T) {
	f := newFixture(t, session.Config{})
	f.seed("es")
	require.NoError(t, f.svc.Control(f.ctx(), "spk", session.ControlMute, nil))
	require.NoError(t, f.svc.Control(f.ctx(), "spk", session.ControlPause, nil))
	require.NoError(t, f.svc.Control(f.ctx(), "spk", session.ControlPause, nil))
	require.NoError(t, f.svc.Control(f.ctx(), "spk", session.ControlResume, nil))
	assert.Equal(t, []string{"paused:speaker", "resumed:speaker"}, f.events.kinds(), "mute and a repeated pause are not the pipeline's business")

	f.events.reset()
	require.NoError(t, f.svc.Disconnect(f.ctx(), "spk", 1006))
	assert.Equal(t, []string{"paused:speakerDisconnected"}, f.events.kinds(), "the gap of a lost speaker pauses")
	f.events.reset()
	_, err := f.connect("spk2", "10.0.0.1", speakerRefreshQuery(seededID, aliceToken))
	require.NoError(t, err)
	assert.Equal(t, []string{"resumed:speakerReconnected"}, f.events.kinds(), "published at the return, before the speaker's welcome")

	f.events.reset()
	require.NoError(t, f.svc.EndByRequest(f.ctx(), "spk2"))
	assert.Equal(t, []string{"ended:speakerEnded"}, f.events.kinds())
	assert.Equal(t, f.stored(seededID).StateVersion, f.events.last().StateVersion)
}

func TestTheSweepRefreshesEveryLiveSessionsLanguages(t *testing.T) {
	f := newFixture(t, session.Config{})
	s := f.seed("es", "fr")
	_, err := f.svc.Sweep(f.ctx())
	require.NoError(t, err)
	assert.Equal(t, []string{"languages:[es fr]"}, f.events.kinds())
	assert.Equal(t, s.StateVersion, f.events.last().StateVersion, "the version read: a newer set the pipeline has wins")

	t.Run("a reconciled count publishes the corrected set", func(t *testing.T) {
		f.events.reset()
		s := f.stored(seededID)
		s.ByLanguage["de"], s.ListenerCount = 1, s.ListenerCount+1 // a count without a record
		f.mem.PutSession(s)
		_, err := f.svc.Sweep(f.ctx())
		require.NoError(t, err)
		assert.Equal(t, []string{"languages:[es fr]"}, f.events.kinds())
		assert.Greater(t, f.events.last().StateVersion, s.StateVersion)
	})
}

func TestAStreamOutageFailsNoOperation(t *testing.T) {
	f := newFixture(t, session.Config{})
	f.events.fault = fmt.Errorf("put: %w", session.ErrUnavailable)
	id := f.create("spk")
	f.join("l1", "10.0.1.1", id, "es")
	require.NoError(t, f.svc.Control(f.ctx(), "spk", session.ControlPause, nil))
	require.NoError(t, f.svc.EndByRequest(f.ctx(), "spk"))
	assert.False(t, f.stored(id).Active)
}
