package auth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

const (
	// maxJWKSBytes bounds the JWKS body; Cognito's is about 1 KB.
	maxJWKSBytes = 1 << 20
	// maxFetchTime bounds a fetch even when the caller's HTTP client has no
	// timeout, so a hung fetch cannot block every later refresh.
	maxFetchTime = 10 * time.Second
	// retryUnavailable is how soon a fetch is retried after one failed with
	// nothing cached: quick enough to recover from a blip, slow enough that
	// an outage answers fast 503s instead of a 3 s timeout per speaker.
	retryUnavailable = time.Second
)

// keyCache holds the issuer's RSA signing keys by kid. It fetches lazily,
// shares one in-flight fetch among concurrent callers, and rate-limits
// fetches so unknown kids cannot be used to flood the JWKS endpoint.
type keyCache struct {
	url        string
	client     *http.Client
	minRefresh time.Duration
	now        func() time.Time

	mu          sync.Mutex
	keys        map[string]*rsa.PublicKey // nil until a fetch succeeds; never mutated once stored
	lastAttempt time.Time                 // start of the latest fetch; zero before the first
	inflight    *fetchCall
}

// fetchCall is one JWKS fetch that several callers may wait on.
type fetchCall struct {
	done chan struct{}
	keys map[string]*rsa.PublicKey
	err  error
}

func newKeyCache(cfg Config) *keyCache {
	return &keyCache{
		url:        cfg.JWKSURL,
		client:     cfg.HTTPClient,
		minRefresh: cfg.MinRefreshInterval,
		now:        cfg.Now,
	}
}

// key returns the public key named kid, fetching the JWKS when kid is not
// cached and the rate limit allows.
func (c *keyCache) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	c.mu.Lock()
	if k, ok := c.keys[kid]; ok {
		c.mu.Unlock()
		return k, nil
	}
	call := c.inflight
	if call == nil {
		if !c.mayFetchLocked() {
			cached := c.keys != nil
			c.mu.Unlock()
			if cached {
				return nil, fmt.Errorf("%w: unknown kid", ErrInvalidToken)
			}
			return nil, fmt.Errorf("%w: previous JWKS fetch failed", ErrKeysUnavailable)
		}
		call = c.startFetchLocked(ctx)
	}
	c.mu.Unlock()

	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for JWKS: %w", ErrKeysUnavailable, ctx.Err())
	}
	if call.err != nil {
		if c.hasKeys() {
			// The old keys still work; only this kid is unverifiable.
			return nil, fmt.Errorf("%w: unknown kid (JWKS refresh failed)", ErrInvalidToken)
		}
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, call.err)
	}
	if k, ok := call.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: unknown kid", ErrInvalidToken)
}

// mayFetchLocked reports whether the rate limit allows a fetch now.
func (c *keyCache) mayFetchLocked() bool {
	if c.lastAttempt.IsZero() {
		return true
	}
	wait := c.minRefresh
	if c.keys == nil {
		wait = min(wait, retryUnavailable)
	}
	return c.now().Sub(c.lastAttempt) >= wait
}

// startFetchLocked launches a fetch detached from ctx's cancellation, so a
// caller that gives up does not fail the others waiting on the same call.
func (c *keyCache) startFetchLocked(ctx context.Context) *fetchCall {
	call := &fetchCall{done: make(chan struct{})}
	c.inflight = call
	c.lastAttempt = c.now()
	go func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), maxFetchTime)
		defer cancel()
		call.keys, call.err = c.fetch(fctx)

		c.mu.Lock()
		if call.err == nil {
			c.keys = call.keys
		}
		c.inflight = nil
		c.mu.Unlock()
		close(call.done)
	}()
	return call
}

func (c *keyCache) hasKeys() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.keys != nil
}

// fetch downloads and decodes the JWKS.
func (c *keyCache) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, fmt.Errorf("build JWKS request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch JWKS: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read JWKS: %w", err)
	}
	if len(body) > maxJWKSBytes {
		return nil, errors.New("read JWKS: body too large")
	}
	return parseRSAKeys(body)
}
