package ddbcontention

import "maps"

// Stats counts what the proxy saw and refused since it started.
type Stats struct {
	// Requests counts every request by operation (the X-Amz-Target suffix,
	// "" when absent), refused ones included.
	Requests map[string]int64
	// TransactionsForwarded counts TransactWriteItems admitted and sent to
	// the emulator (which may still fail them, e.g. on a condition).
	TransactionsForwarded int64
	// TransactionsCancelled counts TransactWriteItems cancelled for a
	// conflict, never forwarded.
	TransactionsCancelled int64
	// ReadTransactionsCancelled counts TransactGetItems cancelled for a
	// conflict, never forwarded.
	ReadTransactionsCancelled int64
	// ConflictingItems counts the TransactionConflict reasons in cancelled
	// transactions (write and read).
	ConflictingItems int64
	// SingleWritesRefused counts PutItem, UpdateItem and DeleteItem refused
	// with TransactionConflictException.
	SingleWritesRefused int64
	// HeldItems is the number of items transactions hold right now.
	HeldItems int
}

// TransactionConflictSum is what DynamoDB's TransactionConflict CloudWatch
// metric (Sum) would show: one per rejected item-level request.
func (s Stats) TransactionConflictSum() int64 { return s.ConflictingItems + s.SingleWritesRefused }

// counters is the proxy's mutable side of Stats, guarded by Proxy.mu.
type counters struct {
	requests                  map[string]int64
	transactionsForwarded     int64
	transactionsCancelled     int64
	readTransactionsCancelled int64
	conflictingItems          int64
	singleWritesRefused       int64
}

func (c *counters) snapshot(held int) Stats {
	return Stats{
		Requests:                  maps.Clone(c.requests),
		TransactionsForwarded:     c.transactionsForwarded,
		TransactionsCancelled:     c.transactionsCancelled,
		ReadTransactionsCancelled: c.readTransactionsCancelled,
		ConflictingItems:          c.conflictingItems,
		SingleWritesRefused:       c.singleWritesRefused,
		HeldItems:                 held,
	}
}
