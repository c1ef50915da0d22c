package ddbcontention

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadsDuringAHold(t *testing.T) {
	reads := []struct {
		name string
		run  func(f fixture) error
	}{
		{"GetItem", func(f fixture) error {
			_, err := f.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: key("a")})
			return err
		}},
		{"BatchGetItem", func(f fixture) error {
			_, err := f.db.BatchGetItem(context.Background(), &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{f.table: {Keys: []map[string]types.AttributeValue{key("a")}}}})
			return err
		}},
		{"Query", func(f fixture) error {
			_, err := f.db.Query(context.Background(), &dynamodb.QueryInput{
				TableName:                 aws.String(f.table),
				KeyConditionExpression:    aws.String("pk = :pk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "a"}},
			})
			return err
		}},
		{"Scan", func(f fixture) error {
			_, err := f.db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(f.table)})
			return err
		}},
	}
	for _, r := range reads {
		t.Run(r.name+" of a held item passes", func(t *testing.T) {
			f := setup(t, Options{Hold: longHold})
			first := f.holding(t, f.add("a", 1))
			require.NoError(t, r.run(f))
			require.NoError(t, <-first)
		})
	}

	t.Run("a read transaction naming a held item is cancelled with reasons in order", func(t *testing.T) {
		f := setup(t, Options{Hold: longHold})
		first := f.holding(t, f.add("a", 1))

		_, err := f.db.TransactGetItems(context.Background(), &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
			{Get: &types.Get{TableName: aws.String(f.table), Key: key("b")}},
			{Get: &types.Get{TableName: aws.String(f.table), Key: key("a")}},
		}})

		assert.Equal(t, []string{none, conflict}, reasons(t, err))
		require.NoError(t, <-first)
		stats := f.proxy.Stats()
		assert.Equal(t, int64(1), stats.ReadTransactionsCancelled)
		assert.Equal(t, int64(1), stats.ConflictingItems)
	})

	t.Run("a read transaction on items nobody writes passes during a hold", func(t *testing.T) {
		f := setup(t, Options{Hold: longHold})
		f.put(t, "b", 4)
		first := f.holding(t, f.add("a", 1))

		out, err := f.db.TransactGetItems(context.Background(), &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
			{Get: &types.Get{TableName: aws.String(f.table), Key: key("b")}},
		}})

		require.NoError(t, err)
		require.Len(t, out.Responses, 1)
		assert.Equal(t, &types.AttributeValueMemberN{Value: "4"}, out.Responses[0].Item["n"])
		require.NoError(t, <-first)
	})

	t.Run("a write transaction meeting an ongoing read transaction passes", func(t *testing.T) {
		// The documentation lists no conflict for this order; a read
		// transaction holds nothing.
		f := setup(t, Options{Hold: longHold})
		_, err := f.db.TransactGetItems(context.Background(), &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
			{Get: &types.Get{TableName: aws.String(f.table), Key: key("a")}},
		}})
		require.NoError(t, err)
		assert.Zero(t, f.proxy.Stats().HeldItems)
		require.NoError(t, f.transact(f.add("a", 1)))
	})
}

func TestBatchWritesDuringAHold(t *testing.T) {
	t.Run("a batch writing a held item passes and takes effect after the transaction", func(t *testing.T) {
		f := setup(t, Options{Hold: longHold})
		f.put(t, "a", 1)
		first := f.holding(t, f.add("a", 1))

		out, err := f.db.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{f.table: {
			{PutRequest: &types.PutRequest{Item: item("a", 50)}},
			{PutRequest: &types.PutRequest{Item: item("b", 60)}},
		}}})

		require.NoError(t, err)
		assert.Empty(t, out.UnprocessedItems)
		require.NoError(t, <-first)
		assert.Equal(t, []int{50, 60}, []int{f.count(t, "a"), f.count(t, "b")})
	})
}
