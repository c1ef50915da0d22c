package session

import (
	"context"
	"slices"
	"time"
)

// PipelineEvents tells the translation pipeline what it needs to know about a
// session besides its audio (on AWS: control records on the audio stream,
// with the session as partition key, so they stay in order with the audio).
// Publish returns an error wrapping ErrUnavailable when the event could not
// be put; the domain logs it and goes on (see publish).
type PipelineEvents interface {
	Publish(ctx context.Context, ev PipelineEvent) error
}

// Kinds of PipelineEvent.
const (
	// PipelineOpened: the session exists; it carries the speaker's settings.
	PipelineOpened = "sessionOpened"
	// PipelineLanguages: the full set of target languages with at least one
	// listener (held seats included: their listeners may come back).
	PipelineLanguages = "languages"
	// PipelinePaused and PipelineResumed: the broadcast as listeners hear it
	// (the speaker's pause, or the gap of a lost speaker connection).
	PipelinePaused  = "paused"
	PipelineResumed = "resumed"
	// PipelineEnded: the session is over; nothing of it follows.
	PipelineEnded = "ended"
)

// Reasons of a pause or a resume (an end carries the session's end reason).
const (
	PauseBySpeaker          = "speaker"
	PauseSpeakerLost        = "speakerDisconnected"
	ResumeSpeakerReconnects = "speakerReconnected"
)

// PipelineEvent is one thing the pipeline is told about a session.
type PipelineEvent struct {
	Kind      string
	SessionID string
	// StateVersion is the session's state version of the change (protocol
	// v1.2): events put by different function instances may land out of
	// order, and the version tells the pipeline which is newer.
	StateVersion int64
	At           time.Time
	// Opened only.
	SourceLanguage string
	QualityTier    string
	Options        StreamOptions
	// Languages only: sorted, never nil.
	TargetLanguages []string
	// Paused, resumed and ended: why.
	Reason string
}

// noPipeline is the port when no pipeline is configured.
type noPipeline struct{}

func (noPipeline) Publish(context.Context, PipelineEvent) error { return nil }

// publish puts ev and never fails the operation that caused it: a join must
// not be refused because the stream is slow. A lost languages event is put
// again by the next sweep's refresh; the others are logged as lost. How long
// a put may take is the stream's retry budget (audiostream.Retry, 2 s), the
// same bound as a chunk's.
func (s *Service) publish(ctx context.Context, ev PipelineEvent) {
	ev.At = s.now()
	if err := s.pipeline.Publish(ctx, ev); err != nil {
		s.log.WarnContext(ctx, "pipeline event not published", "operation", "pipeline", "correlationId", ev.SessionID, "kind", ev.Kind, "error", err.Error())
	}
}

// targetLanguagesOf is the sorted set of languages of sess with listeners.
func targetLanguagesOf(sess Session) []string {
	langs := []string{}
	for lang, n := range sess.ByLanguage {
		if n > 0 {
			langs = append(langs, lang)
		}
	}
	slices.Sort(langs)
	return langs
}

// publishLanguages puts sess's language set, as of its state version.
func (s *Service) publishLanguages(ctx context.Context, sess Session) {
	s.publish(ctx, PipelineEvent{Kind: PipelineLanguages, SessionID: sess.ID, StateVersion: sess.StateVersion, TargetLanguages: targetLanguagesOf(sess)})
}

// languageEdge reports whether the count of lang in sess (just after a
// write) says that write took lang's count from 0 to 1 (added) or from 1 to
// 0 (removed). The store's conditional writes on the session item are
// serialised, so across any number of function instances exactly one write
// sees each edge: a join storm of 500 into one language publishes once.
func languageEdge(sess Session, lang string, added bool) bool {
	if added {
		return sess.ByLanguage[lang] == 1
	}
	return sess.ByLanguage[lang] == 0
}
