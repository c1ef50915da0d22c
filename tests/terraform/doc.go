// Package terraform tests the Terraform configuration in ../../terraform
// against the Go code and against an AWS emulator.
//
// Terraform is tested two ways, each proving what the other cannot:
//
//   - `terraform test` (make tf-test) plans and applies every module, the
//     account stack and the root module against a mocked AWS provider: every
//     switch, validation and IAM statement, in seconds and offline.
//   - TestEveryEnvironmentAppliesOnMoto, here, applies the account stack
//     (terraform CLI) and then dev, staging and prod to one moto (a local
//     AWS emulator), each environment one terraform-plugin-testing TestCase:
//     a step Config calling a backend-less copy of the root module as
//     module "stack" with the environment's tfvars as arguments; state
//     checks that read the outputs and ask moto, through each service's
//     API, for every resource of every child module and for what the tfvars
//     promise; plan checks that the plans after apply are empty; and a
//     Destroy step after which moto holds none of it. Proof that the
//     provider and the AWS APIs accept what the mocks only assume.
//
// TestRouteKeysMatchRouter needs neither: it reads the route keys from the
// .tf source and compares them with the router's.
package terraform
