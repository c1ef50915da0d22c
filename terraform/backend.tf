# Remote state in S3 with S3-native locking, configured per environment at
# init time (partial configuration): envs/<env>.s3.tfbackend, e.g.
#   terraform -chdir=terraform init -backend-config=../envs/dev.s3.tfbackend \
#     -backend-config=bucket=<your state bucket>
# Tests copy this module without this file (or override it) to use local state.
terraform {
  backend "s3" {}
}
