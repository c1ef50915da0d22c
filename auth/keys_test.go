package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyFetching(t *testing.T) {
	t.Run("constructing a verifier fetches nothing", func(t *testing.T) {
		e := newEnv(t)
		assert.Zero(t, e.server.fetches.Load())
	})
	t.Run("the first verify fetches once and later ones use the cache", func(t *testing.T) {
		e := newEnv(t)
		for range 3 {
			_, err := e.verify(e.mint(t, time.Hour))
			require.NoError(t, err)
		}
		assert.EqualValues(t, 1, e.server.fetches.Load())
	})
	t.Run("an unknown kid refetches exactly once and succeeds after key rotation", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.verify(e.mint(t, time.Hour))
		require.NoError(t, err)

		rotated := newTestIssuer(t, e.clock)
		body, err := rotated.JWKS()
		require.NoError(t, err)
		e.server.set(body, http.StatusOK)
		e.clock.Advance(defaultMinRefreshInterval)

		token, err := rotated.Mint("user-9", "", time.Hour)
		require.NoError(t, err)
		claims, err := e.verify(token)
		require.NoError(t, err)
		assert.Equal(t, "user-9", claims.Subject)
		_, err = e.verify(token)
		require.NoError(t, err)
		assert.EqualValues(t, 2, e.server.fetches.Load())

		_, err = e.verify(e.mint(t, time.Hour))
		assert.ErrorIs(t, err, ErrInvalidToken, "the retired key is gone from the cache")
	})
	t.Run("unknown kids within MinRefreshInterval do not refetch", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.verify(e.mint(t, time.Hour))
		require.NoError(t, err)

		for _, kid := range []string{"forged-1", "forged-2", "forged-3", "forged-1"} {
			_, err := e.verify(sign(t, jwa.RS256, e.rsaKey(t), kid, e.claims()))
			assert.ErrorIs(t, err, ErrInvalidToken)
		}
		assert.EqualValues(t, 1, e.server.fetches.Load())

		e.clock.Advance(defaultMinRefreshInterval)
		for _, kid := range []string{"forged-4", "forged-5"} {
			_, err := e.verify(sign(t, jwa.RS256, e.rsaKey(t), kid, e.claims()))
			assert.ErrorIs(t, err, ErrInvalidToken)
		}
		assert.EqualValues(t, 2, e.server.fetches.Load(), "one refetch per interval")
	})
	t.Run("a configured MinRefreshInterval is honoured", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.MinRefreshInterval = 5 * time.Minute })
		_, err := e.verify(e.mint(t, time.Hour))
		require.NoError(t, err)
		e.clock.Advance(time.Minute)
		_, err = e.verify(sign(t, jwa.RS256, e.rsaKey(t), "forged", e.claims()))
		assert.ErrorIs(t, err, ErrInvalidToken)
		assert.EqualValues(t, 1, e.server.fetches.Load())
	})
}

func TestKeysUnavailable(t *testing.T) {
	tests := []struct {
		name   string
		outage func(e *env)
	}{
		{"a refused connection means keys are unavailable", func(e *env) { e.server.Close() }},
		{"a 500 from the JWKS endpoint means keys are unavailable", func(e *env) { e.server.set([]byte("oops"), http.StatusInternalServerError) }},
		{"a 404 from the JWKS endpoint means keys are unavailable", func(e *env) { e.server.set(nil, http.StatusNotFound) }},
		{"a JWKS that is not JSON means keys are unavailable", func(e *env) { e.server.set([]byte("<html>"), http.StatusOK) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.outage(e)
			_, err := e.verify(e.mint(t, time.Hour))
			assert.ErrorIs(t, err, ErrKeysUnavailable)
			assert.NotErrorIs(t, err, ErrInvalidToken)
		})
	}

	t.Run("a JWKS endpoint slower than the client timeout means keys are unavailable", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond} })
		release := e.server.hold()
		t.Cleanup(func() { close(release) })
		_, err := e.verify(e.mint(t, time.Hour))
		assert.ErrorIs(t, err, ErrKeysUnavailable)
	})
	t.Run("after an outage the next fetch is rate limited briefly and then recovers", func(t *testing.T) {
		e := newEnv(t)
		body, err := e.issuer.JWKS()
		require.NoError(t, err)
		e.server.set(nil, http.StatusServiceUnavailable)
		token := e.mint(t, time.Hour)
		_, err = e.verify(token)
		require.ErrorIs(t, err, ErrKeysUnavailable)

		e.server.set(body, http.StatusOK)
		_, err = e.verify(token)
		assert.ErrorIs(t, err, ErrKeysUnavailable, "retried too soon")
		assert.EqualValues(t, 1, e.server.fetches.Load())

		e.clock.Advance(retryUnavailable)
		_, err = e.verify(token)
		assert.NoError(t, err)
		assert.EqualValues(t, 2, e.server.fetches.Load())
	})
	t.Run("a failed refresh with keys cached reports the unknown kid as invalid and keeps the old keys", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.verify(e.mint(t, time.Hour))
		require.NoError(t, err)
		e.server.set(nil, http.StatusInternalServerError)
		e.clock.Advance(defaultMinRefreshInterval)

		_, err = e.verify(sign(t, jwa.RS256, e.rsaKey(t), "new-kid", e.claims()))
		assert.ErrorIs(t, err, ErrInvalidToken)
		_, err = e.verify(e.mint(t, time.Hour))
		assert.NoError(t, err)
	})
	t.Run("a caller whose context ends while waiting gets unavailable", func(t *testing.T) {
		e := newEnv(t)
		release := e.server.hold()
		t.Cleanup(func() { close(release) })
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := e.verifier.Verify(ctx, e.mint(t, time.Hour))
		assert.ErrorIs(t, err, ErrKeysUnavailable)
		assert.ErrorIs(t, err, context.Canceled)
	})
}

func TestConcurrentVerifyShareOneFetch(t *testing.T) {
	t.Run("many concurrent verifies on a cold cache cause a single fetch", func(t *testing.T) {
		e := newEnv(t)
		token := e.mint(t, time.Hour)
		release := e.server.hold()

		const callers = 32
		errs := make(chan error, callers)
		var wg sync.WaitGroup
		for range callers {
			wg.Go(func() {
				_, err := e.verify(token)
				errs <- err
			})
		}
		<-e.server.entered // the one fetch is in flight; the others queue behind it
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			assert.NoError(t, err)
		}
		assert.EqualValues(t, 1, e.server.fetches.Load())
	})
	t.Run("a caller giving up does not fail the others waiting on the same fetch", func(t *testing.T) {
		e := newEnv(t)
		token := e.mint(t, time.Hour)
		release := e.server.hold()

		ctx, cancel := context.WithCancel(context.Background())
		quitter := make(chan error, 1)
		go func() {
			_, err := e.verifier.Verify(ctx, token)
			quitter <- err
		}()
		<-e.server.entered
		cancel()
		assert.ErrorIs(t, <-quitter, ErrKeysUnavailable)

		close(release)
		_, err := e.verify(token)
		assert.NoError(t, err)
		assert.EqualValues(t, 1, e.server.fetches.Load())
	})
}

func TestParseRSAKeys(t *testing.T) {
	e := newEnv(t)
	good, err := e.issuer.JWKS()
	require.NoError(t, err)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(good, &set))
	rsaKey := set.Keys[0]
	variant := func(overrides map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range rsaKey {
			out[k] = v
		}
		for k, v := range overrides {
			if v == nil {
				delete(out, k)
			} else {
				out[k] = v
			}
		}
		return out
	}

	tests := []struct {
		name string
		key  map[string]any
		kept bool
	}{
		{"an RS256 signing key is kept", rsaKey, true},
		{"a key without alg or use is kept", variant(map[string]any{"alg": nil, "use": nil}), true},
		{"a key for another algorithm is dropped", variant(map[string]any{"alg": "RS512"}), false},
		{"an encryption key is dropped", variant(map[string]any{"use": "enc"}), false},
		{"a key without kid is dropped", variant(map[string]any{"kid": nil}), false},
		{"a symmetric key is dropped", map[string]any{"kty": "oct", "kid": "k", "k": "c2VjcmV0"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, err := json.Marshal(map[string]any{"keys": []any{tt.key}})
			require.NoError(t, err)
			keys, err := parseRSAKeys(body)
			require.NoError(t, err)
			assert.Equal(t, tt.kept, len(keys) == 1)
		})
	}
	t.Run("an unparseable entry does not discard the good ones", func(t *testing.T) {
		body, err := json.Marshal(map[string]any{"keys": []any{map[string]any{"kty": "bogus"}, rsaKey}})
		require.NoError(t, err)
		keys, err := parseRSAKeys(body)
		require.NoError(t, err)
		assert.Len(t, keys, 1)
	})
}
