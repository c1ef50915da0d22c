package ddbcontention

import (
	"context"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStats(t *testing.T) {
	t.Run("counters count exactly what was forwarded and refused", func(t *testing.T) {
		f := setup(t, Options{Hold: longHold})
		first := f.holding(t, f.add("a", 1), f.add("b", 1))
		assert.Equal(t, 2, f.proxy.Stats().HeldItems)

		assert.Equal(t, []string{none, conflict, none}, reasons(t, f.transact(f.add("c", 1), f.add("a", 1), f.add("d", 1))))
		assert.Equal(t, []string{conflict, conflict}, reasons(t, f.transact(f.add("b", 1), f.add("a", 1))))
		for range 2 {
			var refused *types.TransactionConflictException
			assert.ErrorAs(t, f.addOne("b"), &refused)
		}
		_, err := f.db.TransactGetItems(context.Background(), &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
			{Get: &types.Get{TableName: aws.String(f.table), Key: key("a")}},
		}})
		assert.Equal(t, []string{conflict}, reasons(t, err))
		_, err = f.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: key("a")})
		require.NoError(t, err)
		require.NoError(t, f.addOne("e"))
		require.NoError(t, <-first)

		stats := f.proxy.Stats()
		assert.Equal(t, Stats{
			Requests:                  map[string]int64{"TransactWriteItems": 3, "UpdateItem": 3, "TransactGetItems": 1, "GetItem": 1},
			TransactionsForwarded:     1,
			TransactionsCancelled:     2,
			ReadTransactionsCancelled: 1,
			ConflictingItems:          1 + 2 + 1,
			SingleWritesRefused:       2,
			HeldItems:                 0,
		}, stats)
		assert.Equal(t, int64(6), stats.TransactionConflictSum())
	})

	t.Run("a negative hold makes a counting pass-through where nothing conflicts", func(t *testing.T) {
		const n = 20
		f := setup(t, Options{Hold: -1})
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() { assert.NoError(t, f.transact(f.add("hot", 1))) })
		}
		wg.Wait()
		assert.Equal(t, n, f.count(t, "hot"))
		stats := f.proxy.Stats()
		assert.Equal(t, int64(n), stats.TransactionsForwarded)
		assert.Zero(t, stats.TransactionsCancelled)
	})
}
