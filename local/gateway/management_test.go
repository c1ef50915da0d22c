package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sdkClient is the real management client the product uses on AWS, pointed
// at the emulator the way local mode points it.
func sdkClient(s *Server) *apigatewaymanagementapi.Client {
	return apigatewaymanagementapi.New(apigatewaymanagementapi.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.ManagementEndpoint()),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local", Source: "test"}, nil
		}),
	})
}

func TestManagementWithTheAWSSDK(t *testing.T) {
	at := time.Date(2024, 1, 20, 11, 55, 8, 419e6, time.UTC)
	app := newFakeApp()
	s := startServer(t, app, Options{Now: fixedClock(at)})
	api := sdkClient(s)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()

	c := dial(t, s.URL())
	id := app.connectID(t, 1)

	t.Run("PostToConnection delivers one text message", func(t *testing.T) {
		_, err := api.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{
			ConnectionId: aws.String(id),
			Data:         []byte(`{"type":"sessionJoined"}`),
		})
		require.NoError(t, err)
		assert.Equal(t, `{"type":"sessionJoined"}`, readText(t, c))
	})
	t.Run("GetConnection describes the connection", func(t *testing.T) {
		out, err := api.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(id)})
		require.NoError(t, err)
		require.NotNil(t, out.ConnectedAt)
		assert.True(t, at.Equal(*out.ConnectedAt), "connectedAt %v", out.ConnectedAt)
		require.NotNil(t, out.LastActiveAt)
		assert.True(t, at.Equal(*out.LastActiveAt))
		require.NotNil(t, out.Identity)
		assert.Equal(t, "127.0.0.1", aws.ToString(out.Identity.SourceIp))
		assert.Equal(t, "Go-http-client/1.1", aws.ToString(out.Identity.UserAgent))
	})
	t.Run("PostToConnection over the message limit is PayloadTooLargeException", func(t *testing.T) {
		_, err := api.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{
			ConnectionId: aws.String(id),
			Data:         make([]byte, 128<<10+1),
		})
		var tooLarge *types.PayloadTooLargeException
		assert.ErrorAs(t, err, &tooLarge)
	})
	t.Run("DeleteConnection closes the client with 1000", func(t *testing.T) {
		_, err := api.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(id)})
		require.NoError(t, err)
		assert.Equal(t, websocket.StatusNormalClosure, readClose(t, c))
		rc := app.wait(t, routeDisconnect, id, 1)[0].RequestContext
		assert.Equal(t, int64(1000), rc.DisconnectStatusCode)
		assert.Equal(t, "Connection Closed Normally", *rc.DisconnectReason)
	})
	t.Run("a closed connection is GoneException for every call", func(t *testing.T) {
		var gone *types.GoneException
		_, err := api.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(id), Data: []byte("x")})
		assert.ErrorAs(t, err, &gone)
		_, err = api.GetConnection(ctx, &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(id)})
		assert.ErrorAs(t, err, &gone)
		_, err = api.DeleteConnection(ctx, &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(id)})
		assert.ErrorAs(t, err, &gone)
	})
	t.Run("an unknown id is GoneException", func(t *testing.T) {
		var gone *types.GoneException
		_, err := api.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String("AAAAAAAAAAAAAAA="), Data: []byte("x")})
		assert.ErrorAs(t, err, &gone)
	})
}

func TestManagementPaths(t *testing.T) {
	app := newFakeApp()
	s := startServer(t, app, Options{})
	c := dial(t, s.URL())
	id := app.connectID(t, 1)

	for _, url := range []string{
		s.HTTPURL() + "/@connections/" + id,
		s.HTTPURL() + "/local/@connections/" + id,
		s.HTTPURL() + "/any-stage/%40connections/" + strings.ReplaceAll(id, "=", "%3D"),
	} {
		status, _, _ := manage(t, http.MethodPost, url, url)
		assert.Equal(t, http.StatusOK, status, url)
		assert.Equal(t, url, readText(t, c))
	}

	status, header, body := manage(t, http.MethodPost, s.HTTPURL()+"/@connections/nope", "x")
	assert.Equal(t, http.StatusGone, status)
	assert.Equal(t, "GoneException", header.Get("X-Amzn-ErrorType"))
	assert.JSONEq(t, `{"message":"Gone"}`, body)
}

func TestConcurrentPostsArriveWhole(t *testing.T) {
	app := newFakeApp()
	s := startServer(t, app, Options{})
	c := dial(t, s.URL())
	c.SetReadLimit(-1)
	id := app.connectID(t, 1)
	api := sdkClient(s)

	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			msg := fmt.Sprintf("%02d:%s", i, strings.Repeat(string(rune('a'+i%26)), 8<<10))
			_, err := api.PostToConnection(context.Background(), &apigatewaymanagementapi.PostToConnectionInput{
				ConnectionId: aws.String(id), Data: []byte(msg),
			})
			assert.NoError(t, err)
		})
	}
	got := map[string]bool{}
	for range n {
		msg := readText(t, c)
		require.Len(t, msg, 3+8<<10)
		var i int
		_, err := fmt.Sscanf(msg[:2], "%02d", &i)
		require.NoError(t, err)
		assert.Equal(t, strings.Repeat(string(rune('a'+i%26)), 8<<10), msg[3:], "message %d interleaved", i)
		got[msg[:2]] = true
	}
	wg.Wait()
	assert.Len(t, got, n)
}

func TestPostableAsSoonAsTheClientIsOpen(t *testing.T) {
	app := newFakeApp()
	s := startServer(t, app, Options{})
	api := sdkClient(s)
	for i := 1; i <= 20; i++ {
		c := dial(t, s.URL())
		id := app.connectID(t, i)
		_, err := api.PostToConnection(context.Background(), &apigatewaymanagementapi.PostToConnectionInput{
			ConnectionId: aws.String(id), Data: []byte("first"),
		})
		require.NoError(t, err, "dial %d", i)
		assert.Equal(t, "first", readText(t, c))
	}
}
