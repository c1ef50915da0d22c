// Package api is the wire contract clients build against: asyncapi.yaml, an
// AsyncAPI 3.0 document of every $connect query, client action and service
// message of the protocol, and a validator compiled from its JSON Schemas so
// tests can hold every frame they see to the same document clients read.
package api
