package ddbcontention

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestItemsOf(t *testing.T) {
	cases := []struct {
		name string
		op   string
		body string
		want []*itemRef
	}{
		{"a put names its whole item", opPutItem,
			`{"TableName":"t","Item":{"pk":{"S":"a"},"n":{"N":"1"}},"Key":{"ignored":{"S":"x"}}}`,
			[]*itemRef{{TableName: "t", Item: attributes{"pk": raw(`{"S":"a"}`), "n": raw(`{"N":"1"}`)}}}},
		{"an update names its key", opUpdateItem,
			`{"TableName":"t","Key":{"pk":{"S":"a"}},"UpdateExpression":"ADD n :one"}`,
			[]*itemRef{{TableName: "t", Key: attributes{"pk": raw(`{"S":"a"}`)}}}},
		{"a write transaction names every action in order, unnamed where malformed", opTransactWriteItems,
			`{"TransactItems":[{"Put":{"TableName":"t","Item":{"pk":{"S":"a"}}}},{},{"ConditionCheck":{"TableName":"u","Key":{"pk":{"S":"b"}}}},{"Get":{"TableName":"t","Key":{"pk":{"S":"c"}}}},{"Update":{"TableName":"t","Key":{"pk":{"S":"d"}}},"Delete":{"TableName":"t","Key":{"pk":{"S":"d"}}}}]}`,
			[]*itemRef{{TableName: "t", Item: attributes{"pk": raw(`{"S":"a"}`)}}, nil, {TableName: "u", Key: attributes{"pk": raw(`{"S":"b"}`)}}, nil, nil}},
		{"a read transaction names only gets", opTransactGetItems,
			`{"TransactItems":[{"Get":{"TableName":"t","Key":{"pk":{"S":"a"}}}},{"Put":{"TableName":"t","Item":{"pk":{"S":"b"}}}}]}`,
			[]*itemRef{{TableName: "t", Key: attributes{"pk": raw(`{"S":"a"}`)}}, nil}},
		{"a batch write names its puts and deletes", opBatchWriteItem,
			`{"RequestItems":{"u":[{"DeleteRequest":{"Key":{"pk":{"S":"b"}}}}],"t":[{"PutRequest":{"Item":{"pk":{"S":"a"}}}},{}]}}`,
			[]*itemRef{{TableName: "t", Item: attributes{"pk": raw(`{"S":"a"}`)}}, {TableName: "u", Key: attributes{"pk": raw(`{"S":"b"}`)}}}},
		{"an unreadable body names nothing", opTransactWriteItems, `{"TransactItems":`, nil},
		{"an operation the proxy does not judge names nothing", "GetItem", `{"TableName":"t","Key":{"pk":{"S":"a"}}}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, itemsOf(c.op, []byte(c.body)))
		})
	}
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func TestCanonicalKey(t *testing.T) {
	same := []struct {
		name     string
		a, b     string
		keyNames []string
	}{
		{"attribute order and spacing do not matter", `{"pk":{"S":"a"},"sk":{"N":"1"}}`, `{ "sk" : {"N":"1"}, "pk":{"S":"a"} }`, nil},
		{"equal numbers are one key", `{"pk":{"N":"10"}}`, `{"pk":{"N":"1.0e1"}}`, nil},
		{"a whole item's non-key attributes do not matter", `{"pk":{"S":"a"},"n":{"N":"1"}}`, `{"pk":{"S":"a"},"n":{"N":"2"},"m":{"S":"x"}}`, []string{"pk"}},
	}
	for _, c := range same {
		t.Run(c.name, func(t *testing.T) {
			a, okA := canonicalKey(attrs(t, c.a), c.keyNames)
			b, okB := canonicalKey(attrs(t, c.b), c.keyNames)
			require.True(t, okA && okB)
			assert.Equal(t, a, b)
		})
	}

	different := []struct{ name, a, b string }{
		{"a string is not the number it spells", `{"pk":{"S":"1"}}`, `{"pk":{"N":"1"}}`},
		{"a string is not the binary it spells", `{"pk":{"S":"AQ=="}}`, `{"pk":{"B":"AQ=="}}`},
		{"values that look alike joined differ", `{"a":{"S":"x;\"b\"=Sy"}}`, `{"a":{"S":"x"},"b":{"S":"y"}}`},
	}
	for _, c := range different {
		t.Run(c.name, func(t *testing.T) {
			a, _ := canonicalKey(attrs(t, c.a), nil)
			b, _ := canonicalKey(attrs(t, c.b), nil)
			assert.NotEqual(t, a, b)
		})
	}

	refused := []struct {
		name     string
		key      string
		keyNames []string
	}{
		{"an item without its key attribute", `{"n":{"N":"1"}}`, []string{"pk"}},
		{"a key of a type keys cannot have", `{"pk":{"BOOL":true}}`, nil},
		{"a value with two types", `{"pk":{"S":"a","N":"1"}}`, nil},
		{"an empty key", `{}`, nil},
		{"a number that is not one", `{"pk":{"N":"1x"}}`, nil},
	}
	for _, c := range refused {
		t.Run(c.name+" names no item", func(t *testing.T) {
			_, ok := canonicalKey(attrs(t, c.key), c.keyNames)
			assert.False(t, ok)
		})
	}
}

func attrs(t *testing.T, s string) attributes {
	t.Helper()
	var a attributes
	require.NoError(t, json.Unmarshal([]byte(s), &a))
	return a
}

func TestCanonicalNumber(t *testing.T) {
	cases := []struct{ in, want string }{
		{"0", "0"}, {"-0.000", "0"}, {"10", "1e1"}, {"1.0e1", "1e1"}, {"+10", "1e1"},
		{"0.25", "25e-2"}, {"-2.50E+2", "-25e1"}, {" 7 ", "7e0"}, {"1e999999", "1e999999"},
	}
	for _, c := range cases {
		t.Run(c.in+" is "+c.want, func(t *testing.T) {
			got, ok := canonicalNumber(c.in)
			require.True(t, ok)
			assert.Equal(t, c.want, got)
		})
	}
	for _, bad := range []string{"", "-", ".", "1e", "e5", "1.2.3", "0x10", "1e1234567", "NaN"} {
		t.Run(bad+" is not a number", func(t *testing.T) {
			_, ok := canonicalNumber(bad)
			assert.False(t, ok)
		})
	}
}

func TestRegionOf(t *testing.T) {
	cases := []struct{ name, header, want string }{
		{"a SigV4 header gives its scope's region", "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x", "eu-west-1"},
		{"no header gives none", "", ""},
		{"a malformed credential gives none", "AWS4-HMAC-SHA256 Credential=AKID/eu-west-1, Signature=x", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { assert.Equal(t, c.want, regionOf(c.header)) })
	}
}

func TestCancelledBody(t *testing.T) {
	t.Run("has DynamoDB's wire shape", func(t *testing.T) {
		raw, err := json.Marshal(cancelledBody([]bool{false, true}))
		require.NoError(t, err)
		assert.JSONEq(t, `{
			"__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
			"Message": "Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]",
			"CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}]
		}`, string(raw))
	})
}

// FuzzItemsOf feeds request bodies from clients: reading them must never
// fail, and whatever they name must be named the same way twice.
func FuzzItemsOf(f *testing.F) {
	for _, seed := range []struct{ op, body string }{
		{opPutItem, `{"TableName":"t","Item":{"pk":{"S":"a"},"sk":{"N":"1"}}}`},
		{opUpdateItem, `{"TableName":"t","Key":{"pk":{"S":"a"},"sk":{"N":"-1.5e3"}}}`},
		{opDeleteItem, `{"TableName":"t","Key":{"pk":{"B":"AQ=="}}}`},
		{opTransactWriteItems, `{"TransactItems":[{"Put":{"TableName":"t","Item":{"pk":{"S":"a"}}}},{"ConditionCheck":{"TableName":"t","Key":{"pk":{"S":"b"}}}}]}`},
		{opTransactGetItems, `{"TransactItems":[{"Get":{"TableName":"t","Key":{"pk":{"N":"1e999999"}}}}]}`},
		{opBatchWriteItem, `{"RequestItems":{"t":[{"PutRequest":{"Item":{"pk":{"S":"a"}}}},{"DeleteRequest":{"Key":{"pk":{"S":"b"}}}}]}}`},
		{opTransactWriteItems, `{"TransactItems":[null,{"Update":null}]}`},
	} {
		f.Add(seed.op, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, op string, body []byte) {
		refs := itemsOf(op, body)
		again := itemsOf(op, body)
		require.Equal(t, refs, again)
		for _, ref := range refs {
			if ref == nil {
				continue
			}
			k1, ok1 := canonicalKey(ref.Key, nil)
			k2, ok2 := canonicalKey(ref.Key, nil)
			require.Equal(t, ok1, ok2)
			require.Equal(t, k1, k2)
			if len(ref.Item) > 0 {
				_, _ = canonicalKey(ref.Item, []string{"pk", "sk"})
			}
		}
	})
}
