package ddbcontention

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// itemID names one item as DynamoDB does: its table and primary key. The
// region is part of it because the emulator keeps one database per region.
type itemID struct{ region, table, key string }

// attributes is a DynamoDB item or key in the wire format, values left raw.
type attributes map[string]json.RawMessage

// itemRef is one item a request names: by Key, or by a whole Item (Put),
// whose key attributes only the table's key schema tells apart.
type itemRef struct {
	TableName string
	Key       attributes
	Item      attributes
}

// transactWriteAction is one entry of TransactItems; DynamoDB requires
// exactly one member to be set.
type transactWriteAction struct {
	ConditionCheck, Put, Delete, Update, Get *itemRef
}

func (a transactWriteAction) only() (*itemRef, bool) {
	var set []*itemRef
	for _, r := range []*itemRef{a.ConditionCheck, a.Put, a.Delete, a.Update, a.Get} {
		if r != nil {
			set = append(set, r)
		}
	}
	if len(set) != 1 {
		return nil, false
	}
	return set[0], true
}

// writeRequest is one entry of BatchWriteItem's RequestItems.
type writeRequest struct {
	PutRequest    *struct{ Item attributes }
	DeleteRequest *struct{ Key attributes }
}

// requestBody holds the members of every request the proxy judges.
type requestBody struct {
	itemRef
	TransactItems []transactWriteAction
	RequestItems  map[string][]writeRequest
}

// itemsOf lists the items a request names, in request order. A nil entry is
// an item the proxy cannot name (malformed action): it never conflicts, and
// the emulator judges the request. An unreadable body names nothing.
func itemsOf(op string, body []byte) []*itemRef {
	var req requestBody
	if json.Unmarshal(body, &req) != nil {
		return nil
	}
	switch op {
	case opPutItem, opUpdateItem, opDeleteItem:
		r := req.itemRef
		if op == opPutItem {
			r.Key = nil
		} else {
			r.Item = nil
		}
		return []*itemRef{&r}
	case opTransactWriteItems, opTransactGetItems:
		refs := make([]*itemRef, len(req.TransactItems))
		for i, a := range req.TransactItems {
			if r, ok := a.only(); ok && (op == opTransactGetItems) == (a.Get != nil) {
				refs[i] = r
			}
		}
		return refs
	case opBatchWriteItem:
		var refs []*itemRef
		for _, table := range slices.Sorted(maps.Keys(req.RequestItems)) {
			for _, w := range req.RequestItems[table] {
				switch {
				case w.PutRequest != nil && w.DeleteRequest == nil:
					refs = append(refs, &itemRef{TableName: table, Item: w.PutRequest.Item})
				case w.DeleteRequest != nil && w.PutRequest == nil:
					refs = append(refs, &itemRef{TableName: table, Key: w.DeleteRequest.Key})
				}
			}
		}
		return refs
	}
	return nil
}

// canonicalKey spells a primary key so that two spellings DynamoDB treats as
// one item compare equal: attributes sorted by name, numbers normalised.
// keyNames picks the key attributes out of a whole item; nil takes every
// attribute (a Key). It fails for a key DynamoDB would reject.
func canonicalKey(attrs attributes, keyNames []string) (string, bool) {
	if keyNames == nil {
		keyNames = slices.Sorted(maps.Keys(attrs))
	} else {
		keyNames = slices.Sorted(slices.Values(keyNames))
	}
	if len(keyNames) == 0 {
		return "", false
	}
	var b strings.Builder
	for _, name := range keyNames {
		raw, ok := attrs[name]
		if !ok {
			return "", false
		}
		v, ok := canonicalValue(raw)
		if !ok {
			return "", false
		}
		b.WriteString(strconv.Quote(name))
		b.WriteByte('=')
		b.WriteString(v)
		b.WriteByte(';')
	}
	return b.String(), true
}

// canonicalValue spells a key attribute value ({"S": ...}, {"N": ...} or
// {"B": ...}, the only key types).
func canonicalValue(raw json.RawMessage) (string, bool) {
	var av map[string]string
	if json.Unmarshal(raw, &av) != nil || len(av) != 1 {
		return "", false
	}
	for typ, v := range av {
		switch typ {
		case "S", "B":
			return typ + strconv.Quote(v), true
		case "N":
			n, ok := canonicalNumber(v)
			return "N" + n, ok
		}
	}
	return "", false
}

// canonicalNumber writes a decimal number as sign, significant digits and
// exponent, so "10", "1e1" and "10.0" are one key. It reads the number
// without big arithmetic: an exponent of a billion costs nothing.
func canonicalNumber(s string) (string, bool) {
	s = strings.TrimSpace(s)
	sign := ""
	if s != "" && (s[0] == '-' || s[0] == '+') {
		if s[0] == '-' {
			sign = "-"
		}
		s = s[1:]
	}
	mantissa, exponent, hasExp := strings.Cut(strings.ToLower(s), "e")
	whole, frac, _ := strings.Cut(mantissa, ".")
	digits := whole + frac
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(exponent)
		if err != nil || len(exponent) > 6 {
			return "", false
		}
		exp = e
	}
	exp -= len(frac)
	digits = strings.TrimLeft(digits, "0")
	trimmed := strings.TrimRight(digits, "0")
	exp += len(digits) - len(trimmed)
	if trimmed == "" {
		return "0", true
	}
	return sign + trimmed + "e" + strconv.Itoa(exp), true
}
