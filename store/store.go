package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/guregu/dynamo/v2"

	"github.com/livecast/sessions/session"
)

// Tables names the three tables.
type Tables struct {
	Sessions    string
	Connections string
	RateLimits  string
}

// Config is what the store needs beyond table names.
type Config struct {
	Tables                Tables
	ConnectionMaxDuration time.Duration // connection items live this long (plus the buffer)
	RetentionBuffer       time.Duration // TTL keeps items this long after they stop mattering
	// ConflictRetryFor bounds how long a write cancelled by a transaction
	// conflict is retried when the context has no earlier deadline.
	ConflictRetryFor time.Duration
}

// Store keeps the service's state on DynamoDB. Sessions and Connections
// implement the domain's ports of the same names; the Store itself is the
// session.Limiter and the session.SweepScans.
type Store struct {
	*tables
	Sessions    *Sessions
	Connections *Connections
}

// tables is what every part of the store shares.
type tables struct {
	db          *dynamo.DB
	cfg         Config
	sessions    dynamo.Table
	connections dynamo.Table
	rateLimits  dynamo.Table
}

var (
	_ session.Sessions    = (*Sessions)(nil)
	_ session.Connections = (*Connections)(nil)
	_ session.Limiter     = (*Store)(nil)
	_ session.SweepScans  = (*Store)(nil)
)

// New returns a Store over db.
func New(db *dynamo.DB, cfg Config) *Store {
	if cfg.ConnectionMaxDuration <= 0 {
		cfg.ConnectionMaxDuration = 2 * time.Hour
	}
	if cfg.RetentionBuffer <= 0 {
		cfg.RetentionBuffer = time.Hour
	}
	if cfg.ConflictRetryFor <= 0 {
		cfg.ConflictRetryFor = 10 * time.Second
	}
	t := &tables{
		db: db, cfg: cfg,
		sessions:    db.Table(cfg.Tables.Sessions),
		connections: db.Table(cfg.Tables.Connections),
		rateLimits:  db.Table(cfg.Tables.RateLimits),
	}
	return &Store{tables: t, Sessions: &Sessions{t}, Connections: &Connections{t}}
}

// failure turns a DynamoDB error that is not a business outcome into one the
// domain understands: outages, throttling after the SDK's retries, conflicts
// that outlasted their retries, missing tables and deadlines are
// session.ErrUnavailable; anything else (a bug such as a validation error)
// stays an internal error.
func failure(op string, err error) error {
	var apiErr smithy.APIError
	var netErr net.Error
	var opErr *smithy.OperationError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w: %w", op, session.ErrUnavailable, err)
	case errors.As(err, &apiErr):
		switch apiErr.ErrorCode() {
		case "ValidationException", "SerializationException":
			return fmt.Errorf("%s: %w", op, err)
		}
		return fmt.Errorf("%s: %w: %w", op, session.ErrUnavailable, err)
	case errors.As(err, &netErr), errors.As(err, &opErr):
		return fmt.Errorf("%s: %w: %w", op, session.ErrUnavailable, err)
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
}

// cancelled reports, for a transaction cancelled by a failed condition,
// which of its items failed (DynamoDB lists reasons in request order). A
// transaction cancelled only by conflicts is not "cancelled" here: it is
// retried, then a failure.
func cancelled(err error) (failed []bool, ok bool) {
	var txe *types.TransactionCanceledException
	if !errors.As(err, &txe) {
		return nil, false
	}
	failed = make([]bool, len(txe.CancellationReasons))
	any := false
	for i, r := range txe.CancellationReasons {
		if r.Code != nil && *r.Code == "ConditionalCheckFailed" {
			failed[i] = true
			any = true
		}
	}
	return failed, any
}

// tx starts a transaction with a client request token: the SDK resends the
// same token when it retries, so a retry whose first attempt was applied
// (its answer lost to a timeout) is not applied twice.
func (t *tables) tx() *dynamo.WriteTx { return t.db.WriteTx().Idempotent(true) }
