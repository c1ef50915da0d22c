package ddbcontention

import (
	"encoding/json"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
)

// Operation names, the suffix of the X-Amz-Target header.
const (
	targetPrefix         = "DynamoDB_20120810."
	opPutItem            = "PutItem"
	opUpdateItem         = "UpdateItem"
	opDeleteItem         = "DeleteItem"
	opTransactWriteItems = "TransactWriteItems"
	opTransactGetItems   = "TransactGetItems"
	opBatchWriteItem     = "BatchWriteItem"
	opCreateTable        = "CreateTable"
	opDeleteTable        = "DeleteTable"
)

// DynamoDB's error type namespace and the messages its API Reference gives
// for a transaction conflict.
const (
	errorTypePrefix  = "com.amazonaws.dynamodb.v20120810#"
	conflictMessage  = "Transaction is ongoing for the item"
	cancelledMessage = "Transaction cancelled, please refer cancellation reasons for specific reasons "
)

// cancellationReason is one entry of CancellationReasons; DynamoDB sends a
// bare {"Code":"None"} for an action that did not fail.
type cancellationReason struct {
	Code    string
	Message string `json:",omitempty"`
}

// transactionCanceled is TransactionCanceledException's body. Its message
// member is spelled "Message", unlike other DynamoDB errors.
type transactionCanceled struct {
	Type                string `json:"__type"`
	Message             string
	CancellationReasons []cancellationReason
}

// serviceError is the body of DynamoDB's other errors.
type serviceError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

// cancelledBody answers a transaction cancelled for the items marked in
// conflicts, one reason per action in request order.
func cancelledBody(conflicts []bool) transactionCanceled {
	reasons := make([]cancellationReason, len(conflicts))
	codes := make([]string, len(conflicts))
	for i, c := range conflicts {
		reasons[i] = cancellationReason{Code: "None"}
		if c {
			reasons[i] = cancellationReason{Code: "TransactionConflict", Message: conflictMessage}
		}
		codes[i] = reasons[i].Code
	}
	return transactionCanceled{
		Type:                errorTypePrefix + "TransactionCanceledException",
		Message:             cancelledMessage + "[" + strings.Join(codes, ", ") + "]",
		CancellationReasons: reasons,
	}
}

func conflictBody() serviceError {
	return serviceError{Type: errorTypePrefix + "TransactionConflictException", Message: conflictMessage}
}

// writeError answers with DynamoDB's JSON error shape: HTTP 400, the body's
// CRC32 in X-Amz-Crc32 (the Go SDK checks it when present), a request id.
func writeError(w http.ResponseWriter, requestID string, body any) {
	raw, _ := json.Marshal(body) // structs of strings: cannot fail
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amzn-Requestid", requestID)
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(raw)), 10))
	h.Set("Content-Length", strconv.Itoa(len(raw)))
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write(raw)
}
