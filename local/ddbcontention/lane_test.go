package ddbcontention

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeUpstream records what reaches the emulator's place and how many
// requests it has open at once.
type fakeUpstream struct {
	*httptest.Server
	open, maxOpen atomic.Int64
	mu            sync.Mutex
	seen          []*http.Request
	bodies        []string
	answer        func(w http.ResponseWriter, r *http.Request)
}

func newFakeUpstream(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *fakeUpstream {
	t.Helper()
	u := &fakeUpstream{answer: answer}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := u.open.Add(1)
		defer u.open.Add(-1)
		for m := u.maxOpen.Load(); n > m && !u.maxOpen.CompareAndSwap(m, n); m = u.maxOpen.Load() {
		}
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.seen = append(u.seen, r)
		u.bodies = append(u.bodies, string(body))
		u.mu.Unlock()
		u.answer(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func send(ctx context.Context, url, op, body string) (*http.Response, string, error) {
	return sendFrom(ctx, url, "eu-west-1", op, body)
}

// sendFrom sends a DynamoDB request signed (in form only) for region.
func sendFrom(ctx context.Context, url, region, op, body string) (*http.Response, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/"+region+"/dynamodb/aws4_request, SignedHeaders=host, Signature=abc")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp, string(raw), err
}

func TestLane(t *testing.T) {
	t.Run("requests and answers pass through unchanged", func(t *testing.T) {
		up := newFakeUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Amz-Crc32", "42")
			w.WriteHeader(http.StatusTeapot)
			_, _ = io.WriteString(w, `{"answer":1}`)
		})
		p := Start(t, up.URL, Options{})
		body := `{"TableName":"t","Key":{"pk":{"S":"a"}}}`

		resp, got, err := send(context.Background(), p.URL(), "GetItem", body)

		require.NoError(t, err)
		assert.Equal(t, http.StatusTeapot, resp.StatusCode)
		assert.Equal(t, "42", resp.Header.Get("X-Amz-Crc32"))
		assert.Equal(t, `{"answer":1}`, got)
		require.Len(t, up.seen, 1)
		assert.Equal(t, body, up.bodies[0])
		assert.Equal(t, "DynamoDB_20120810.GetItem", up.seen[0].Header.Get("X-Amz-Target"))
		assert.Contains(t, up.seen[0].Header.Get("Authorization"), "Credential=test/20260101/eu-west-1/")
	})

	t.Run("the emulator never has more than one request open", func(t *testing.T) {
		up := newFakeUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
			time.Sleep(time.Millisecond)
			_, _ = io.WriteString(w, `{}`)
		})
		p := Start(t, up.URL, Options{})
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				_, _, err := send(context.Background(), p.URL(), "UpdateItem", `{"TableName":"t","Key":{"pk":{"S":"a"}}}`)
				assert.NoError(t, err)
			})
		}
		wg.Wait()
		assert.Len(t, up.seen, 50)
		assert.Equal(t, int64(1), up.maxOpen.Load())
	})

	t.Run("a request given up while waiting its turn leaves the later ones theirs", func(t *testing.T) {
		release := make(chan struct{})
		up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.Header.Get("X-Amz-Target"), "Scan") {
				<-release
			}
			_, _ = io.WriteString(w, `{}`)
		})
		p := Start(t, up.URL, Options{})
		slow := make(chan error, 1)
		go func() { _, _, err := send(context.Background(), p.URL(), "Scan", `{}`); slow <- err }()
		require.Eventually(t, func() bool { return up.open.Load() == 1 }, 5*time.Second, time.Millisecond)

		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, _, err := send(ctx, p.URL(), "GetItem", `{}`)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		close(release)
		require.NoError(t, <-slow)

		resp, _, err := send(context.Background(), p.URL(), "GetItem", `{}`)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})

	t.Run("an unreachable emulator is a bad gateway", func(t *testing.T) {
		up := newFakeUpstream(t, func(http.ResponseWriter, *http.Request) {})
		url := up.URL
		up.Close()
		p := Start(t, url, Options{})

		resp, _, err := send(context.Background(), p.URL(), "GetItem", `{}`)

		require.NoError(t, err)
		assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	})

	t.Run("every request waits the configured latency", func(t *testing.T) {
		up := newFakeUpstream(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{}`) })
		p := Start(t, up.URL, Options{Latency: 100 * time.Millisecond, Jitter: 10 * time.Millisecond, Seed: 7})
		start := time.Now()
		_, _, err := send(context.Background(), p.URL(), "GetItem", `{}`)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	})

	t.Run("a closed proxy refuses connections", func(t *testing.T) {
		up := newFakeUpstream(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{}`) })
		p, err := New(up.URL, Options{})
		require.NoError(t, err)
		p.Close()
		_, _, err = send(context.Background(), p.URL(), "GetItem", `{}`)
		assert.Error(t, err)
	})

	t.Run("an upstream that is not a URL is refused", func(t *testing.T) {
		_, err := New("localhost:8000", Options{})
		assert.ErrorContains(t, err, "not an http://host:port URL")
	})
}
