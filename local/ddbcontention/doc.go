// Package ddbcontention is a DynamoDB stand-in for tests and the bench that
// conflicts the way DynamoDB does. It is an HTTP reverse proxy speaking
// DynamoDB's JSON protocol in front of a moto_server, which serves one
// request at a time and so never shows a transaction conflict.
//
// # What it models
//
// The rules come from the DynamoDB Developer Guide page "Amazon DynamoDB
// Transactions: How it works", section "Transaction conflict handling in
// DynamoDB", with the codes and messages of the API Reference
// ("TransactWriteItems", "CancellationReason") and the CloudWatch
// "TransactionConflict" metric:
//
//   - A TransactWriteItems request holds every item it names (table and
//     primary key, including ConditionCheck items) from its arrival for
//     Options.Hold, the two-phase commit; its answer never comes before the
//     hold ends.
//   - "An item within a TransactWriteItems request is part of another ongoing
//     TransactWriteItems request": the later transaction is cancelled with
//     TransactionCanceledException (HTTP 400) and one CancellationReasons
//     entry per action, in request order: TransactionConflict ("Transaction
//     is ongoing for the item") for a held item, None for the others. It is
//     not forwarded, so it changes nothing.
//   - "A PutItem, UpdateItem, or DeleteItem request for an item conflicts with
//     an ongoing TransactWriteItems request that includes the same item": it
//     fails with TransactionConflictException (HTTP 400) and is not forwarded.
//   - "An item within a TransactGetItems request is part of an ongoing
//     TransactWriteItems, BatchWriteItem, PutItem, UpdateItem, or DeleteItem
//     request": the read transaction is cancelled the same way. A single or
//     batch write is ongoing while the emulator applies it.
//   - Single-item writes never conflict with each other (DynamoDB serialises
//     them), and neither do BatchWriteItem's writes: the page lists no
//     conflict for them, only serializable isolation per item.
//   - "If an ongoing TransactWriteItems or TransactGetItems operation
//     conflicts with a concurrent GetItem request, both operations can
//     succeed": GetItem, BatchGetItem, Query and Scan are never refused.
//   - A TransactGetItems holds nothing: the page lists no conflict for a
//     write that meets an ongoing read transaction.
//
// Conflicts are decided when a request arrives, as DynamoDB would decide
// them, and the emulator then applies the admitted requests one at a time in
// that order (never more than one request open on it), so a slow emulator
// queue lengthens answers but not conflict windows. Everything else passes
// through unchanged.
//
// # What the SDKs do with these errors
//
// aws-sdk-go-v2 (aws/retry v1.48) retries neither error by default: its
// retryable codes are RequestTimeout(Exception) and the throttle codes
// (ProvisionedThroughputExceededException, TransactionInProgressException,
// ThrottlingException, ...), and the DynamoDB client only sets 4 attempts
// and a 25 ms base delay; the page itself says "AWS SDKs do not retry the
// request". guregu/dynamo's RetryTxConflicts option, which the service uses,
// adds retries for TransactionCanceledException whose reasons hold
// TransactionConflict (not for TransactionConflictException). The standard
// retryer also spends a client-wide token bucket (500 tokens, 14 per retry,
// refilled only by successful requests): a storm of conflicts exhausts it
// after about 35 retries, and later conflicts fail at once. The proxy's
// answers carry DynamoDB's wire shape, so every client classifies them as
// it would against DynamoDB.
//
// # What it deliberately does not model
//
// Throttling and partition limits, TransactionInProgressException (a
// ClientRequestToken reused while its transaction runs), ExecuteStatement,
// ExecuteTransaction and BatchExecuteStatement (PartiQL: passed through
// unchecked), transactions across regions or accounts (items are told apart
// by region, table and key only), tables named by ARN, and the real
// commit's latency distribution (Options.Latency and Options.Jitter stand in).
// Requests the proxy cannot read are forwarded so that the emulator gives
// its own validation error.
package ddbcontention
