# Remote state in S3, one state per account and region (the Makefile passes
# envs/account.s3.tfbackend and a key naming the region). Tests apply a copy
# without this file.
terraform {
  backend "s3" {}
}
