package ddbcontention

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestItemIdentity(t *testing.T) {
	const updateA = `{"TableName":"t","Key":{"pk":{"S":"a"}},"UpdateExpression":"ADD n :one"}`
	const txUpdateA = `{"TransactItems":[{"Update":{"TableName":"t","Key":{"pk":{"S":"a"}},"UpdateExpression":"ADD n :one"}}]}`

	t.Run("the same table and key in another region is another item", func(t *testing.T) {
		up := newFakeUpstream(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{}`) })
		p := Start(t, up.URL, Options{Hold: longHold})
		done := make(chan error, 1)
		go func() {
			_, _, err := sendFrom(context.Background(), p.URL(), "eu-west-1", "TransactWriteItems", txUpdateA)
			done <- err
		}()
		require.Eventually(t, func() bool { return p.Stats().HeldItems == 1 }, longHold, time.Millisecond)

		elsewhere, _, err := sendFrom(context.Background(), p.URL(), "us-west-2", "UpdateItem", updateA)
		require.NoError(t, err)
		here, body, err := sendFrom(context.Background(), p.URL(), "eu-west-1", "UpdateItem", updateA)
		require.NoError(t, err)

		assert.Equal(t, http.StatusOK, elsewhere.StatusCode)
		assert.Equal(t, http.StatusBadRequest, here.StatusCode)
		assert.JSONEq(t, `{"__type":"com.amazonaws.dynamodb.v20120810#TransactionConflictException","message":"Transaction is ongoing for the item"}`, body)
		require.NoError(t, <-done)
	})

	t.Run("a read transaction naming an item a single write is applying is cancelled", func(t *testing.T) {
		release := make(chan struct{})
		up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.Header.Get("X-Amz-Target"), "UpdateItem") {
				<-release
			}
			_, _ = io.WriteString(w, `{}`)
		})
		p := Start(t, up.URL, Options{})
		done := make(chan error, 1)
		go func() { _, _, err := send(context.Background(), p.URL(), "UpdateItem", updateA); done <- err }()
		require.Eventually(t, func() bool { return up.open.Load() == 1 }, longHold, time.Millisecond)

		resp, body, err := send(context.Background(), p.URL(), "TransactGetItems", `{"TransactItems":[{"Get":{"TableName":"t","Key":{"pk":{"S":"a"}}}}]}`)
		close(release)

		require.NoError(t, err)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Contains(t, body, `"CancellationReasons":[{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]`)
		require.NoError(t, <-done)
		assert.Len(t, up.seen, 1, "the cancelled read transaction never reached the emulator")
	})

	t.Run("a table deleted and created again through the proxy is learnt again", func(t *testing.T) {
		f := setup(t, Options{Hold: longHold})
		_, err := f.db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(f.table)})
		require.NoError(t, err)
		createTable(t, f.db, &dynamodb.CreateTableInput{
			TableName:            aws.String(f.table),
			BillingMode:          types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		})
		id := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "x"}}
		first := f.holding(t, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(f.table), Item: id}})

		_, err = f.db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(f.table), Key: id})

		var refused *types.TransactionConflictException
		assert.ErrorAs(t, err, &refused)
		require.NoError(t, <-first)
	})
}

func TestRequestsTheProxyCannotJudge(t *testing.T) {
	t.Run("a transaction naming one item twice gets the emulator's own refusal", func(t *testing.T) {
		f := setup(t, Options{})
		err := f.transact(f.add("a", 1), f.add("a", 2))
		var invalid interface{ ErrorCode() string }
		require.ErrorAs(t, err, &invalid)
		assert.Equal(t, "ValidationException", invalid.ErrorCode())
		assert.Zero(t, f.proxy.Stats().HeldItems)
	})

	t.Run("a put into a missing table gets the emulator's ResourceNotFoundException", func(t *testing.T) {
		f := setup(t, Options{})
		_, err := f.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(f.table + "-missing"), Item: item("a", 1)})
		var missing *types.ResourceNotFoundException
		assert.ErrorAs(t, err, &missing)
	})
}
