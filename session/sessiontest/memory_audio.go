package sessiontest

import (
	"context"

	"github.com/livecast/sessions/session"
)

// AudioSequences returns the session.AudioSequences port of the double.
func (m *Memory) AudioSequences() session.AudioSequences { return memAudioSequences{m} }

type memAudioSequences struct{ *Memory }

// NextAudioSequence implements session.AudioSequences.
func (m memAudioSequences) NextAudioSequence(_ context.Context, sessionID string) (int64, error) {
	if err := m.enter("AudioSequences.Next"); err != nil {
		m.mu.Unlock()
		return 0, err
	}
	defer m.mu.Unlock()
	m.audioSeq[sessionID]++
	return m.audioSeq[sessionID], nil
}
