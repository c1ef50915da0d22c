package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/smithy-go"
	"github.com/guregu/dynamo/v2"

	"github.com/livecast/sessions/session"
)

// Take counts member under every limit of key in fixed windows. Each window
// is one item whose string sets hold the counted members: adding to a set is
// idempotent, so a replayed event is not counted twice, and the size check
// and the add are one conditional write, so concurrency cannot overshoot.
// Limits with the same window share an item and cost one write together.
func (s *Store) Take(ctx context.Context, key, member string, limits []session.Limit, now time.Time) error {
	byWindow := map[time.Duration][]session.Limit{}
	var order []time.Duration
	for _, l := range limits {
		if _, seen := byWindow[l.Window]; !seen {
			order = append(order, l.Window)
		}
		byWindow[l.Window] = append(byWindow[l.Window], l)
	}
	for _, w := range order {
		if err := s.take(ctx, key, member, w, byWindow[w], now); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) take(ctx context.Context, key, member string, window time.Duration, limits []session.Limit, now time.Time) error {
	start := now.Truncate(window)
	end := start.Add(window)
	up := s.rateLimits.Update(attrIdentifier, fmt.Sprintf("%s#%d", key, start.Unix())).
		Set(attrTTL, end.Add(s.cfg.RetentionBuffer).Unix())
	names := make([]string, len(limits))
	for i, l := range limits {
		names[i] = l.Name
		attr := limitAttr(l)
		// Quoted: guregu takes a quoted path as one attribute name, which a
		// scope's hyphens would otherwise break.
		up = up.AddStringsToSet("'"+attr+"'", member).
			If("(attribute_not_exists($) OR size($) < ? OR contains($, ?))", attr, attr, l.Max, attr, member)
	}
	err := up.Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		retry := int(end.Sub(now).Round(time.Second) / time.Second)
		return &session.RateLimitedError{Limit: strings.Join(names, "+"), RetryAfter: max(retry, 1)}
	}
	return limitsFailure("rate limit", err)
}

// limitAttr names a limit's set in its window's item: a scoped limit has one
// set per scope (an address's joins, per session), in the same item as the
// key's other limits so that they still cost one write together.
func limitAttr(l session.Limit) string {
	if l.Scope == "" {
		return l.Name
	}
	return l.Name + "@" + l.Scope
}

// limitsFailure maps an error of the rate-limit table: a missing or
// forbidden table is ErrLimitsUnavailable (the domain then skips limits),
// anything else a failure of the database.
func limitsFailure(what string, err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "ResourceNotFoundException", "AccessDeniedException":
			return fmt.Errorf("%s: %w: %w", what, session.ErrLimitsUnavailable, err)
		}
	}
	if err != nil {
		return failure(what, err)
	}
	return nil
}
