terraform {
  # 1.11: the S3 backend's use_lockfile (envs/*.s3.tfbackend) is generally
  # available from 1.11 (experimental in 1.10); terraform test's mocks and
  # overrides need 1.7.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

# Region and credentials come from the standard AWS settings (AWS_REGION,
# AWS_PROFILE, ...) unless var.region is set. AWS_ENDPOINT_URL redirects every
# service, which is how the tests apply this module to a local emulator.
provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}
