package ddbcontention

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/guregu/dynamo/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The proxy must leave retrying to the client exactly as DynamoDB does. The
// SDK's default retryer (aws/retry) retries throttling, timeouts and 5xx but
// neither TransactionCanceledException nor TransactionConflictException;
// guregu/dynamo's RetryTxConflicts (the service's choice) retries a
// cancellation whose reasons include TransactionConflict.
func TestClientsRetryConflictsAsAgainstDynamoDB(t *testing.T) {
	t.Run("the SDK's default retryer sends a conflicting transaction once", func(t *testing.T) {
		f := setup(t, Options{Hold: longHold})
		first := f.holding(t, f.add("a", 1))

		assert.Equal(t, []string{conflict}, reasons(t, f.transact(f.add("a", 1))))
		assert.Equal(t, int64(2), f.proxy.Stats().Requests["TransactWriteItems"])
		require.NoError(t, <-first)
	})

	t.Run("guregu's RetryTxConflicts retries a cancelled transaction up to its attempts", func(t *testing.T) {
		f := setup(t, Options{Hold: longHold})
		first := f.holding(t, f.add("a", 1))
		db := dynamo.NewFromIface(client(f.proxy.URL(), func(o *dynamodb.Options) {
			o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 10 * time.Millisecond, nil })
				dynamo.RetryTxConflicts(o)
			})
		}))

		err := db.WriteTx().Update(db.Table(f.table).Update("pk", "a").Range("sk", 1).Add("n", 1)).Run(context.Background())

		assert.Equal(t, []string{conflict}, reasons(t, err))
		assert.False(t, dynamo.IsCondCheckFailed(err), "a conflict is not a failed condition")
		assert.Equal(t, int64(1+3), f.proxy.Stats().Requests["TransactWriteItems"])
		require.NoError(t, <-first)
		assert.Equal(t, 1, f.count(t, "a"))
	})

	t.Run("guregu's RetryTxConflicts does not retry a refused single write", func(t *testing.T) {
		f := setup(t, Options{Hold: longHold})
		first := f.holding(t, f.add("a", 1))
		db := dynamo.NewFromIface(client(f.proxy.URL(), func(o *dynamodb.Options) {
			o.Retryer = retry.NewStandard(dynamo.RetryTxConflicts)
		}))

		err := db.Table(f.table).Update("pk", "a").Range("sk", 1).Add("n", 1).Run(context.Background())

		require.Error(t, err)
		assert.Equal(t, int64(1), f.proxy.Stats().Requests["UpdateItem"])
		require.NoError(t, <-first)
	})

}
