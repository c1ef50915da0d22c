package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/guregu/dynamo/v2"
)

// CreateTables creates whichever of the three tables is missing, with the
// listeners index and TTL, and waits until they are active. Local mode and
// tests use it; on AWS, Terraform owns the tables.
func (s *Store) CreateTables(ctx context.Context) error {
	existing, err := s.db.ListTables().All(ctx)
	if err != nil {
		return failure("list tables", err)
	}
	specs := []struct {
		table dynamo.Table
		from  any
	}{
		{s.sessions, sessionItem{}},
		{s.connections, connectionItem{}},
		{s.rateLimits, rateLimitItem{}},
	}
	for _, spec := range specs {
		name := spec.table.Name()
		if slices.Contains(existing, name) {
			continue
		}
		create := s.db.CreateTable(name, spec.from).OnDemand(true)
		switch name {
		case s.connections.Name():
			create = create.Project(listenersIndex, dynamo.AllProjection)
		case s.sessions.Name():
			// Keys only: count updates then never write to the index, whose
			// single partition key would otherwise be a hot spot.
			create = create.Project(liveIndex, dynamo.KeysOnlyProjection)
		}
		if err := create.Wait(ctx); err != nil && !inUse(err) {
			return fmt.Errorf("create table %s: %w", name, err)
		}
		if err := spec.table.UpdateTTL(attrTTL, true).Run(ctx); err != nil {
			return fmt.Errorf("enable TTL on %s: %w", name, err)
		}
	}
	return nil
}

// DeleteTables drops the three tables (tests only), each even if another
// is already gone.
func (s *Store) DeleteTables(ctx context.Context) error {
	var errs []error
	for _, t := range []dynamo.Table{s.sessions, s.connections, s.rateLimits} {
		if err := t.DeleteTable().Run(ctx); err != nil {
			errs = append(errs, fmt.Errorf("delete table %s: %w", t.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// inUse reports a table that already exists or is being created: another
// process (or a retried request whose first attempt succeeded) got there
// first, which is what we wanted.
func inUse(err error) bool {
	var e *types.ResourceInUseException
	return errors.As(err, &e)
}
