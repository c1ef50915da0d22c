package store_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/guregu/dynamo/v2"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/local/motoserver"
	"github.com/livecast/sessions/store"
)

// endpoint is the DynamoDB API the tests talk to: AWS_ENDPOINT_URL_DYNAMODB
// when set, else a moto_server started here for the whole package.
var endpoint string

func TestMain(m *testing.M) {
	endpoint = os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
	var srv *motoserver.Server
	if endpoint == "" {
		var err error
		if srv, err = motoserver.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "store tests need a DynamoDB API:", err)
			os.Exit(1)
		}
		endpoint = srv.URL
	}
	code := m.Run()
	srv.Stop()
	os.Exit(code)
}

var tableSeq atomic.Int64

// newStore creates fresh, uniquely named tables for one test and drops them
// afterwards; rt counts the DynamoDB requests the store makes.
func newStore(t *testing.T) (*store.Store, *store.RoundTrips) {
	t.Helper()
	return newStoreAt(t, endpoint)
}

// newStoreAt is newStore on the DynamoDB API at url.
func newStoreAt(t *testing.T, url string) (*store.Store, *store.RoundTrips) {
	t.Helper()
	rt := &store.RoundTrips{}
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(url),
	}
	db := dynamo.New(cfg, rt.Option())
	prefix := fmt.Sprintf("t%d-%d-", time.Now().UnixNano(), tableSeq.Add(1))
	s := store.New(db, store.Config{Tables: store.Tables{
		Sessions: prefix + "Sessions", Connections: prefix + "Connections", RateLimits: prefix + "RateLimits",
	}})
	ctx := context.Background()
	require.NoError(t, s.CreateTables(ctx))
	t.Cleanup(func() { _ = s.DeleteTables(context.Background()) })
	return s, rt
}
