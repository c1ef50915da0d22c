// Package store keeps the service's state in DynamoDB through guregu/dynamo:
// the Sessions, Connections and RateLimits tables. It is the one place that
// knows attribute names, conditions and transactions, and it turns DynamoDB's
// answers into the session package's outcomes (session.ErrNotFound, ...).
package store
