package session

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSessionIDVocabulary(t *testing.T) {
	w := newIDWords()
	assert.GreaterOrEqual(t, len(w.adjectives), 100)
	assert.GreaterOrEqual(t, len(w.nouns), 100)
	for _, blocked := range blockedWords() {
		assert.False(t, w.adjSet[blocked] || w.nounSet[blocked], "blocked word %q is usable", blocked)
	}
	for _, word := range append(append([]string{}, w.adjectives...), w.nouns...) {
		assert.Regexp(t, `^[a-z]+$`, word)
	}
}

func TestGeneratedIDsAreValid(t *testing.T) {
	w := newIDWords()
	seen := map[string]bool{}
	for range 2000 {
		id, err := w.generate()
		require.NoError(t, err)
		require.True(t, w.valid(id), id)
		seen[id] = true
	}
	assert.Greater(t, len(seen), 1900, "ids are spread over a large space")
}

func TestIDValidation(t *testing.T) {
	w := newIDWords()
	for id, want := range map[string]bool{
		"faithful-shepherd-427": true, "holy-lamb-100": true, "holy-lamb-999": true,
		"holy-lamb-099": false, "holy-lamb-1000": false, "Holy-lamb-101": false, "holy_lamb_101": false,
		"evil-lamb-101": false, "holy-devil-101": false, "holy-lamb": false, "": false, "holy-lamb-101 ": false,
	} {
		assert.Equal(t, want, w.valid(id), id)
	}
}
