package ddbcontention

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteTransactionConflicts(t *testing.T) {
	t.Run("a transaction naming a held item is cancelled with one reason per action in order and changes nothing", func(t *testing.T) {
		f := setup(t, Options{Hold: longHold})
		f.put(t, "a", 0)
		f.put(t, "d", 7)
		first := f.holding(t, f.add("a", 1), f.putAction("b", 1))

		err := f.transact(f.putAction("c", 1), f.add("a", 10), f.deleteAction("d"), f.checkAction("b"))

		assert.Equal(t, []string{none, conflict, none, conflict}, reasons(t, err))
		var cancelled *types.TransactionCanceledException
		require.ErrorAs(t, err, &cancelled)
		assert.Equal(t, "Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict, None, TransactionConflict]", cancelled.ErrorMessage())
		require.NoError(t, <-first)
		assert.Equal(t, -1, f.count(t, "c"), "the cancelled transaction's put")
		assert.Equal(t, 1, f.count(t, "a"), "only the first transaction's add")
		assert.Equal(t, 7, f.count(t, "d"), "the cancelled transaction's delete")
	})

	t.Run("an item a transaction puts whole collides with the same key named by another's update", func(t *testing.T) {
		f := setup(t, Options{Hold: longHold})
		first := f.holding(t, f.putAction("a", 5))

		err := f.transact(f.add("a", 1))

		assert.Equal(t, []string{conflict}, reasons(t, err))
		require.NoError(t, <-first)
		assert.Equal(t, 5, f.count(t, "a"))
	})

	t.Run("transactions on disjoint items both pass while both hold", func(t *testing.T) {
		f := setup(t, Options{Hold: longHold})
		first := f.holding(t, f.add("a", 1))
		second := f.holding(t, f.add("b", 1), f.putAction("c", 3))

		require.NoError(t, <-first)
		require.NoError(t, <-second)
		assert.Equal(t, []int{1, 1, 3}, []int{f.count(t, "a"), f.count(t, "b"), f.count(t, "c")})
		assert.Equal(t, int64(2), f.proxy.Stats().TransactionsForwarded)
	})

	t.Run("a transaction passes once the previous one's hold has ended", func(t *testing.T) {
		f := setup(t, Options{Hold: 200 * time.Millisecond})
		require.NoError(t, f.transact(f.add("a", 1)))
		require.NoError(t, f.transact(f.add("a", 1)))
		assert.Equal(t, 2, f.count(t, "a"))
	})

	t.Run("a transaction is not answered before its hold ends", func(t *testing.T) {
		hold := 300 * time.Millisecond
		f := setup(t, Options{Hold: hold})
		start := time.Now()
		require.NoError(t, f.transact(f.add("a", 1)))
		assert.GreaterOrEqual(t, time.Since(start), hold)
		assert.Zero(t, f.proxy.Stats().HeldItems)
	})

	t.Run("of many simultaneous transactions on one item exactly one passes", func(t *testing.T) {
		const n = 40
		f := setup(t, Options{Hold: longHold})
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = f.transact(f.add("hot", 1), f.add(fmt.Sprint("own-", i), 1)) })
		}
		wg.Wait()

		passed := 0
		for _, err := range errs {
			if err == nil {
				passed++
				continue
			}
			assert.Equal(t, []string{conflict, none}, reasons(t, err))
		}
		assert.Equal(t, 1, passed)
		assert.Equal(t, 1, f.count(t, "hot"))
		stats := f.proxy.Stats()
		assert.Equal(t, int64(1), stats.TransactionsForwarded)
		assert.Equal(t, int64(n-1), stats.TransactionsCancelled)
		assert.Equal(t, int64(n-1), stats.ConflictingItems)
	})

	t.Run("a transaction the emulator fails on a condition still holds its items", func(t *testing.T) {
		f := setup(t, Options{Hold: longHold})
		first := f.holding(t, f.checkAction("missing"))

		err := f.addOne("missing")

		var refused *types.TransactionConflictException
		assert.ErrorAs(t, err, &refused)
		assert.Equal(t, []string{"ConditionalCheckFailed: The conditional request failed"}, reasons(t, <-first))
	})
}

func TestSingleWritesOnAHeldItem(t *testing.T) {
	writes := []struct {
		name string
		op   string
		run  func(f fixture) error
	}{
		{"PutItem", "PutItem", func(f fixture) error {
			_, err := f.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: item("a", 99)})
			return err
		}},
		{"UpdateItem", "UpdateItem", func(f fixture) error { return f.addOne("a") }},
		{"DeleteItem", "DeleteItem", func(f fixture) error {
			_, err := f.db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(f.table), Key: key("a")})
			return err
		}},
	}
	for _, w := range writes {
		t.Run(w.name+" on an item a transaction holds fails with TransactionConflictException, sent once, changing nothing", func(t *testing.T) {
			f := setup(t, Options{Hold: longHold})
			f.put(t, "a", 1)
			first := f.holding(t, f.add("a", 1))

			err := w.run(f)

			var refused *types.TransactionConflictException
			require.ErrorAs(t, err, &refused)
			assert.Equal(t, "Transaction is ongoing for the item", refused.ErrorMessage())
			assert.Equal(t, int64(1), f.proxy.Stats().Requests[w.op], "the SDK's default retryer does not retry it")
			require.NoError(t, <-first)
			assert.Equal(t, 2, f.count(t, "a"), "only the transaction's add")
		})
	}

	t.Run("a single write to another item passes during a hold", func(t *testing.T) {
		f := setup(t, Options{Hold: longHold})
		first := f.holding(t, f.add("a", 1))
		require.NoError(t, f.addOne("b"))
		require.NoError(t, <-first)
		assert.Equal(t, 1, f.count(t, "b"))
	})
}

func TestSingleWritesNeverConflictWithEachOther(t *testing.T) {
	t.Run("a hundred concurrent increments of one item all pass", func(t *testing.T) {
		const n = 100
		f := setup(t, Options{})
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() { errs <- f.addOne("hot") })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		assert.Equal(t, n, f.count(t, "hot"))
		stats := f.proxy.Stats()
		assert.Zero(t, stats.SingleWritesRefused)
		assert.Equal(t, int64(n), stats.Requests["UpdateItem"])
	})
}
