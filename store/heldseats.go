package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
)

// The seats held for lost listener connections, by address, live in one
// RateLimits item per session ("held:<sessionId>"): one attribute per held
// connection, its address hash and until. One item per session rather than
// per address, because a resume may come from another network than the
// seat was lost on and knows only the session and the old connection id.
// Every write is a single-item update without a condition, so a mass drop
// and return of a whole room queue on the item instead of conflicting; a
// join reads it once. The item is small: it holds only the session's held
// seats, and its TTL follows the latest hold.

const heldSeatPrefix = "seat:" // + connection id

// heldSeatItem is the value of one held seat's attribute.
type heldSeatItem struct {
	IPHash string `dynamo:"ip"`
	Until  int64  `dynamo:"until"` // Unix ms
}

func heldSeatsKey(sessionID string) string { return "held:" + sessionID }

// HoldSeat notes a held seat; repeating it writes the same value again.
func (s *Store) HoldSeat(ctx context.Context, sessionID, connectionID, sourceIPHash string, until time.Time) error {
	err := s.retryConflicts(ctx, func() error {
		return s.rateLimits.Update(attrIdentifier, heldSeatsKey(sessionID)).
			SetExpr("$ = ?", heldSeatPrefix+connectionID, heldSeatItem{IPHash: sourceIPHash, Until: ms(until)}).
			SetExpr("$ = ?", attrTTL, until.Add(s.cfg.RetentionBuffer).Unix()).
			Run(ctx)
	})
	return limitsFailure("hold seat", err)
}

// UnholdSeat removes a held seat's attribute; removing one that is not
// there is no error.
func (s *Store) UnholdSeat(ctx context.Context, sessionID, connectionID string) error {
	err := s.retryConflicts(ctx, func() error {
		return s.rateLimits.Update(attrIdentifier, heldSeatsKey(sessionID)).
			RemoveExpr("$", heldSeatPrefix+connectionID).
			Run(ctx)
	})
	return limitsFailure("unhold seat", err)
}

// HeldSeats reads the session's held seats (strongly consistent: a hold the
// $disconnect just wrote counts) and keeps the address's that are still held.
func (s *Store) HeldSeats(ctx context.Context, sessionID, sourceIPHash string, now time.Time) ([]time.Time, error) {
	var item map[string]types.AttributeValue
	err := s.rateLimits.Get(attrIdentifier, heldSeatsKey(sessionID)).Consistent(true).One(ctx, &item)
	if errors.Is(err, dynamo.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, limitsFailure("read held seats", err)
	}
	var out []time.Time
	for name, av := range item {
		if !strings.HasPrefix(name, heldSeatPrefix) {
			continue
		}
		var h heldSeatItem
		if err := dynamo.Unmarshal(av, &h); err != nil {
			return nil, failure("read held seats", err)
		}
		if until := fromMS(h.Until); h.IPHash == sourceIPHash && until.After(now) {
			out = append(out, until)
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return out, nil
}
