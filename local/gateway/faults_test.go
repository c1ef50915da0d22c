package gateway

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInjectedConnectionsFaults(t *testing.T) {
	post := func(t *testing.T, f Faults) (time.Duration, error) {
		t.Helper()
		app := newFakeApp()
		s := startServer(t, app, Options{Faults: f})
		dial(t, s.URL())
		id := app.connectID(t, 1)
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		begin := time.Now()
		// One attempt: the SDK would otherwise retry a 429 by itself.
		_, err := sdkClient(s).PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(id), Data: []byte(`{}`)},
			func(o *apigatewaymanagementapi.Options) { o.RetryMaxAttempts = 1 })
		return time.Since(begin), err
	}

	t.Run("a latency holds every answer at least that long", func(t *testing.T) {
		took, err := post(t, Faults{Latency: 30 * time.Millisecond})
		require.NoError(t, err)
		assert.GreaterOrEqual(t, took, 30*time.Millisecond)
	})
	t.Run("a 410 share answers GoneException", func(t *testing.T) {
		_, err := post(t, Faults{GoneShare: 1})
		var gone *types.GoneException
		assert.True(t, errors.As(err, &gone), "%v", err)
	})
	t.Run("a 429 share answers LimitExceededException", func(t *testing.T) {
		_, err := post(t, Faults{ThrottleShare: 1})
		var limit *types.LimitExceededException
		assert.True(t, errors.As(err, &limit), "%v", err)
	})
	t.Run("shares are drawn per POST", func(t *testing.T) {
		fl := newFaulter(Faults{GoneShare: 0.25, ThrottleShare: 0.25, Seed: 7})
		faulted := 0
		for range 4000 {
			rec := httptest.NewRecorder()
			if fl.postFault(rec) {
				faulted++
			}
		}
		assert.InDelta(t, 2000, faulted, 200)
	})
	t.Run("shares beyond one are refused", func(t *testing.T) {
		_, err := Options{Faults: Faults{GoneShare: 0.6, ThrottleShare: 0.6}}.withDefaults()
		assert.Error(t, err)
	})
}
