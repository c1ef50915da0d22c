package console_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLocalModeServesTheConsoleBesideTheAPI: mounting the page at / takes
// nothing from the API: upgrades on any path still reach the service, and
// the token endpoint still answers.
func TestLocalModeServesTheConsoleBesideTheAPI(t *testing.T) {
	base := startLocal(t)

	t.Run("the page is served at /", func(t *testing.T) {
		res, err := http.Get(base + "/")
		require.NoError(t, err)
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		assert.Equal(t, http.StatusOK, res.StatusCode)
		assert.Contains(t, string(body), "Live sessions console")
	})

	t.Run("a dev token is still minted", func(t *testing.T) {
		res, err := http.PostForm(base+"/dev/token", url.Values{"sub": {"alice"}})
		require.NoError(t, err)
		defer res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode)
	})

	for _, path := range []string{"/", "/local", "/console/"} {
		t.Run("an upgrade on "+path+" reaches the service", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			wsURL := "ws" + strings.TrimPrefix(base, "http") + path + "?action=joinSession&sessionId=quiet-river-123&targetLanguage=es"
			_, res, err := websocket.Dial(ctx, wsURL, nil)
			require.Error(t, err, "no such session")
			require.NotNil(t, res)
			body, _ := io.ReadAll(res.Body)
			assert.Equal(t, http.StatusNotFound, res.StatusCode)
			assert.Contains(t, string(body), "SESSION_NOT_FOUND")
		})
	}
}
