// Package sessiontest holds what tests of the session ports share: Memory, an
// in-memory double of the storage ports that the domain's unit tests run on,
// Limiter, its rate limiter, and RunContract, the one suite of the ports'
// behaviour that the double and the DynamoDB store must both pass.
//
// Only tests import it: the product's code never does.
package sessiontest
