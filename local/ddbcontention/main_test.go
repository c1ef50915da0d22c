package ddbcontention

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/local/motoserver"
)

// motoURL is the emulator every test here puts a proxy in front of.
var motoURL string

func TestMain(m *testing.M) {
	moto, err := motoserver.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ddbcontention tests need moto_server:", err)
		os.Exit(1)
	}
	motoURL = moto.URL
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// client is a DynamoDB client as the SDK builds it by default (its own
// retryer included) for the endpoint.
func client(endpoint string, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, optFns...)
}

// fixture is a proxy in front of the emulator, a fresh table with a
// composite key (pk string, sk number), a client through the proxy and one
// straight to the emulator for checks.
type fixture struct {
	proxy  *Proxy
	db     *dynamodb.Client
	direct *dynamodb.Client
	table  string
}

var tableSeq atomic.Int64

func setup(t *testing.T, opts Options) fixture {
	t.Helper()
	f := fixture{
		proxy:  Start(t, motoURL, opts),
		direct: client(motoURL),
		table:  fmt.Sprintf("ddbcontention-%d-%d", time.Now().UnixNano(), tableSeq.Add(1)),
	}
	f.db = client(f.proxy.URL())
	createTable(t, f.direct, &dynamodb.CreateTableInput{
		TableName:   aws.String(f.table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
	})
	t.Cleanup(func() {
		_, _ = f.direct.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(f.table)})
	})
	return f
}

// createTable creates a table whose name is the test's own. A table that
// already exists is therefore the one a retried create made on its first,
// answered-too-late attempt: done, not a failure.
func createTable(t *testing.T, c *dynamodb.Client, in *dynamodb.CreateTableInput) {
	t.Helper()
	_, err := c.CreateTable(context.Background(), in)
	var exists *types.ResourceInUseException
	if !errors.As(err, &exists) {
		require.NoError(t, err)
	}
}

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberN{Value: "1"}}
}

func item(pk string, n int) map[string]types.AttributeValue {
	it := key(pk)
	it["n"] = &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
	return it
}

// count reads an item's n straight from the emulator; -1 when absent.
func (f fixture) count(t *testing.T, pk string) int {
	t.Helper()
	out, err := f.direct.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(f.table), Key: key(pk), ConsistentRead: aws.Bool(true)})
	require.NoError(t, err)
	if out.Item == nil {
		return -1
	}
	n, ok := out.Item["n"].(*types.AttributeValueMemberN)
	require.True(t, ok, "item %s has no number n", pk)
	var v int
	_, err = fmt.Sscan(n.Value, &v)
	require.NoError(t, err)
	return v
}

func (f fixture) put(t *testing.T, pk string, n int) {
	t.Helper()
	_, err := f.direct.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(f.table), Item: item(pk, n)})
	require.NoError(t, err)
}

func (f fixture) add(pk string, by int) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(f.table),
		Key:                       key(pk),
		UpdateExpression:          aws.String("ADD n :by"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":by": &types.AttributeValueMemberN{Value: fmt.Sprint(by)}},
	}}
}

func (f fixture) putAction(pk string, n int) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(f.table), Item: item(pk, n)}}
}

func (f fixture) deleteAction(pk string) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(f.table), Key: key(pk)}}
}

func (f fixture) checkAction(pk string) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: aws.String(f.table), Key: key(pk), ConditionExpression: aws.String("attribute_exists(pk)")}}
}

func (f fixture) transact(actions ...types.TransactWriteItem) error {
	_, err := f.db.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: actions})
	return err
}

// holding runs a transaction in the background and returns once the proxy
// holds its items; the channel gives the transaction's outcome.
func (f fixture) holding(t *testing.T, actions ...types.TransactWriteItem) <-chan error {
	t.Helper()
	before := f.proxy.Stats().HeldItems
	done := make(chan error, 1)
	go func() { done <- f.transact(actions...) }()
	require.Eventually(t, func() bool { return f.proxy.Stats().HeldItems == before+len(actions) }, 10*time.Second, time.Millisecond)
	return done
}

func (f fixture) addOne(pk string) error {
	_, err := f.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName:                 aws.String(f.table),
		Key:                       key(pk),
		UpdateExpression:          aws.String("ADD n :one"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
	})
	return err
}

// reasons spells a cancellation's reasons as "Code: Message" in order.
func reasons(t *testing.T, err error) []string {
	t.Helper()
	var cancelled *types.TransactionCanceledException
	require.ErrorAs(t, err, &cancelled)
	var out []string
	for _, r := range cancelled.CancellationReasons {
		out = append(out, aws.ToString(r.Code)+": "+aws.ToString(r.Message))
	}
	return out
}

const (
	none     = "None: "
	conflict = "TransactionConflict: Transaction is ongoing for the item"
)

// longHold outlasts anything a test does while a transaction holds, so
// overlaps are certain, not timed.
const longHold = 2 * time.Second
