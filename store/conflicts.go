package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// Backoff between attempts of a write that hit a transaction conflict:
// "full jitter" (a random wait up to an exponentially growing cap), so the
// writers that collided do not collide again in step.
const (
	conflictBackoffBase = 5 * time.Millisecond
	conflictBackoffCap  = 250 * time.Millisecond
)

// retryConflicts runs write until it does not fail with a transaction
// conflict, waiting with jittered exponential backoff, for as long as the
// context's deadline (the invocation's) or cfg.ConflictRetryFor allows.
// DynamoDB cancels a transaction that touches an item another transaction
// holds (TransactionCanceledException, reason TransactionConflict) and
// refuses a single-item write to such an item (TransactionConflictException);
// the AWS SDK retries neither. write must build its request afresh each time
// (a transaction's client token must not be reused for a new attempt).
func (t *tables) retryConflicts(ctx context.Context, write func() error) error {
	deadline := time.Now().Add(t.cfg.ConflictRetryFor)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	ceiling := conflictBackoffBase
	for {
		err := write()
		if !conflicted(err) {
			return err
		}
		wait := time.Duration(rand.Int64N(int64(ceiling))) + time.Millisecond
		if time.Now().Add(wait).After(deadline) {
			return err
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return err
		case <-timer.C:
		}
		ceiling = min(2*ceiling, conflictBackoffCap)
	}
}

// conflicted reports a write refused only because of a concurrent
// transaction: worth trying again, unlike a failed condition.
func conflicted(err error) bool {
	if err == nil {
		return false
	}
	var txe *types.TransactionCanceledException
	if errors.As(err, &txe) {
		conflict := false
		for _, r := range txe.CancellationReasons {
			switch code := deref(r.Code); code {
			case "TransactionConflict":
				conflict = true
			case "", "None":
			default:
				return false // a failed condition or a limit: a real answer
			}
		}
		return conflict
	}
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "TransactionConflictException"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
