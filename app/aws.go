package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/guregu/dynamo/v2"
)

// perAttemptTimeout bounds one AWS request. Three attempts with backoff stay
// well inside API Gateway's 29 s integration limit, so a dead database turns
// into a 503 the client sees, not a gateway timeout.
const perAttemptTimeout = 3 * time.Second

// maxIdleConnsPerHost keeps a fan-out's connections open between its posts:
// FanoutWorkers (32 by default) post to one host, the API's @connections
// endpoint, and the SDK's default of 10 idle connections per host would
// close and reopen (a TLS handshake each) the other 22 all along.
const maxIdleConnsPerHost = 64

// LoadAWS builds the SDK configuration once per process. Endpoints come from
// the SDK's standard variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB,
// AWS_ENDPOINT_URL_KINESIS).
// Transient errors (throttling, 5xx, transaction conflicts) are retried with
// exponential backoff and jitter, three attempts at most (docs/SPEC.md R21).
// withLocalCredentials supplies dummy keys when none are configured, for
// local emulators that ignore them.
func LoadAWS(ctx context.Context, region string, withLocalCredentials bool) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(region),
		awsconfig.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(perAttemptTimeout).
			WithTransportOptions(func(t *http.Transport) { t.MaxIdleConnsPerHost = maxIdleConnsPerHost })),
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				dynamo.RetryTxConflicts(o)
			})
		}),
	}
	if withLocalCredentials && os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	return cfg, nil
}
