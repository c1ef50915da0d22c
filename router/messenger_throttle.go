package router

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/aws/smithy-go"
)

// isThrottle reports whether @connections refused a call for the account's
// request quota: API Gateway answers 429 LimitExceededException.
func isThrottle(err error) bool {
	var limit *types.LimitExceededException
	if errors.As(err, &limit) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "LimitExceededException", "TooManyRequestsException", "ThrottlingException":
			return true
		}
	}
	return false
}

// ManagementRetryer is the @connections client's retryer: the SDK's
// standard one, except that a throttled call is returned at once. The
// domain retries those itself, with jitter and within the message's age
// (session.ErrThrottled); the SDK's own throttle retries (up to 20 s of
// backoff, from a shared token bucket) would deliver audio late instead.
func ManagementRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Retryables = append([]retry.IsErrorRetryable{noThrottleRetry{}}, o.Retryables...)
	})
}

type noThrottleRetry struct{}

func (noThrottleRetry) IsErrorRetryable(err error) aws.Ternary {
	if isThrottle(err) {
		return aws.FalseTernary
	}
	return aws.UnknownTernary
}
