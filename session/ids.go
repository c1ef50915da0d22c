package session

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"regexp"
)

// sessionIDPattern is the shape of every id: {adjective}-{noun}-{100..999}.
var sessionIDPattern = regexp.MustCompile(`^([a-z]+)-([a-z]+)-([1-9][0-9]{2})$`)

// idWords holds the vocabulary after the blocklist is applied; built once by
// newIDWords and never mutated.
type idWords struct {
	adjectives []string
	nouns      []string
	adjSet     map[string]bool
	nounSet    map[string]bool
}

func newIDWords() idWords {
	blocked := map[string]bool{}
	for _, w := range blockedWords() {
		blocked[w] = true
	}
	keep := func(words []string) ([]string, map[string]bool) {
		var out []string
		set := map[string]bool{}
		for _, w := range words {
			if !blocked[w] && !set[w] {
				out = append(out, w)
				set[w] = true
			}
		}
		return out, set
	}
	var w idWords
	w.adjectives, w.adjSet = keep(adjectives())
	w.nouns, w.nounSet = keep(nouns())
	return w
}

// generate returns a random id; uniqueness among live sessions is the
// store's conditional write's job.
func (w idWords) generate() (string, error) {
	a, err := randomIndex(len(w.adjectives))
	if err != nil {
		return "", err
	}
	n, err := randomIndex(len(w.nouns))
	if err != nil {
		return "", err
	}
	num, err := randomIndex(900)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%s-%d", w.adjectives[a], w.nouns[n], 100+num), nil
}

// valid reports whether id is one generate could have produced.
func (w idWords) valid(id string) bool {
	m := sessionIDPattern.FindStringSubmatch(id)
	return m != nil && w.adjSet[m[1]] && w.nounSet[m[2]]
}

func randomIndex(n int) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("random session id: %w", err)
	}
	return int(v.Int64()), nil
}
