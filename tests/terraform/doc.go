// Package terraform tests the Terraform configuration in ../../terraform
// against the Go code and against an AWS emulator.
//
// Terraform is tested two ways, each proving what the other cannot:
//
//   - `terraform test` (make tf-test) plans and applies every module, the
//     account stack and the root module against a mocked AWS provider: every
//     switch, validation and IAM statement, in seconds and offline.
//   - TestEveryEnvironmentAppliesOnMoto, here, applies the account stack and
//     the root module with each environment's tfvars to moto (a local AWS
//     emulator), reads what was built back through the AWS APIs, re-plans
//     expecting no change, and destroys: proof that the provider and the
//     AWS APIs accept what the mocks only assume.
//
// TestRouteKeysMatchRouter needs neither: it reads the route keys from the
// .tf source and compares them with the router's.
package terraform
