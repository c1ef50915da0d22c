# Infrastructure targets, included by the top Makefile (paths are relative to
# the repository root). Every target:
#
#   make package                 build/bootstrap.zip (linux/arm64 "bootstrap")
#   make account                 apply terraform/account: the API Gateway
#                                CloudWatch role of this account and region
#                                (once per account and region; a no-op after)
#   make deploy ENV=dev          package, account, then apply the plan make plan
#                                saved (refused when stale), or plan and apply
#                                envs/dev.tfvars when there is none
#   make plan ENV=prod           package, then a saved plan of envs/prod.tfvars
#                                (.tf/prod.tfplan) and what it was made from
#   make destroy ENV=staging     destroy one environment (never the account stack)
#   make destroy-account         destroy the account stack (after every environment
#                                of this account and region)
#   make tf-test                 offline: terraform test (mocked AWS) of every module,
#                                the account stack, the root, and each environment
#   make tf-acc                  offline: apply, re-plan and destroy every environment
#                                on moto (tests/terraform, needs moto_server)
#   make tf-lint                 terraform fmt -check, validate, tfsec when installed
#   make tf-fmt                  terraform fmt
#
# Settings: ENV (dev), TF_STATE_BUCKET (or bucket = "..." in the
# envs/*.s3.tfbackend files), AWS_REGION (the account stack's state key and
# region), AUTO_APPROVE=1 (no confirmation prompt), MANAGE_ACCOUNT_LOGGING=0
# (deploy leaves the account's API Gateway settings to someone else),
# TF_REQUIRED=1 (tf-test and tf-acc fail instead of skipping without terraform).
#
# Offline machines: when a provider mirror exists at $(TF_PLUGIN_MIRROR), a
# CLI configuration that installs hashicorp/* providers from it is generated
# under .tf/ and exported as TF_CLI_CONFIG_FILE to every recipe. Without a
# mirror Terraform uses the public registry with a shared plugin cache.

ENV                    ?= dev
TERRAFORM              ?= terraform
GO                     ?= go
TF_STATE_BUCKET        ?=
AUTO_APPROVE           ?=
TF_REQUIRED            ?=
MANAGE_ACCOUNT_LOGGING ?= 1
TF_PLUGIN_MIRROR       ?= /opt/tf-plugins

TF_ENVS        := dev staging prod
TF_DIR         := terraform
TF_ACCOUNT_DIR := $(TF_DIR)/account
TF_MODULE_DIRS := $(patsubst %/main.tf,%,$(wildcard $(TF_DIR)/modules/*/main.tf))
TF_WORK        := .tf
TF_PACKAGE     := build/bootstrap.zip
TF_BINARY      := build/bootstrap
TF_REGION      := $(or $(AWS_REGION),$(AWS_DEFAULT_REGION))

ifneq ($(wildcard $(TF_PLUGIN_MIRROR)/registry.terraform.io/hashicorp/aws),)
TF_CLI_CONFIG := $(abspath $(TF_WORK))/cli.tfrc
export TF_CLI_CONFIG_FILE := $(TF_CLI_CONFIG)
else
TF_CLI_CONFIG :=
export TF_PLUGIN_CACHE_DIR ?= $(HOME)/.terraform.d/plugin-cache
endif

tf_have    = command -v $(TERRAFORM) >/dev/null 2>&1
# Test recipes start with $(tf_skip): without terraform they report SKIPPED
# (TF_REQUIRED=1 makes that an error), so that make test runs on a machine
# with Go and Python only.
tf_skip    = if ! $(tf_have); then \
  if [ -n "$(TF_REQUIRED)" ]; then echo "terraform not found" >&2; exit 1; fi; \
  echo "terraform not found: $@ SKIPPED (install Terraform >= 1.11)"; exit 0; fi
tf_approve = $(if $(AUTO_APPROVE),-auto-approve)
tf_bucket  = $(if $(TF_STATE_BUCKET),-backend-config=bucket=$(TF_STATE_BUCKET))
tf_var_file = ../envs/$(ENV).tfvars
# $(call tf_require_bucket,BACKEND_FILE): a state bucket is given or configured.
tf_require_bucket = @if [ -z "$(TF_STATE_BUCKET)" ] && ! grep -Eq '^[[:space:]]*bucket[[:space:]]*=' $(1); then \
  echo "No state bucket: run with TF_STATE_BUCKET=<an S3 bucket of yours> or add bucket = \"...\" to $(1)" >&2; exit 1; fi

.PHONY: package account deploy plan destroy destroy-account tf-setup tf-check-env tf-check-region \
        tf-init tf-account-init tf-test tf-acc tf-lint tf-fmt

# The Lambda package: the repository root's main package for linux/arm64,
# zipped with the executable named "bootstrap" at the root of the archive.
# Reproducible: the same sources and Go toolchain give the same zip, so the
# function's source_code_hash changes only when the code does (a new hash
# means a new deployment, and a plan that looks clean stays clean). The build
# drops paths, VCS stamps and the build id; the zip is written with a fixed
# time (1980-01-01, the earliest a zip can say), fixed permissions and one
# entry, whatever the file's own time.
package:
	@mkdir -p $(dir $(TF_BINARY)) $(dir $(TF_PACKAGE))
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -trimpath -buildvcs=false -ldflags='-buildid= -s -w' -o $(TF_BINARY) .
	@rm -f $(TF_PACKAGE)
	@python3 -c 'import sys, zipfile; \
	  info = zipfile.ZipInfo("bootstrap", date_time=(1980, 1, 1, 0, 0, 0)); \
	  info.external_attr = 0o100755 << 16; info.create_system = 3; info.compress_type = zipfile.ZIP_DEFLATED; \
	  z = zipfile.ZipFile(sys.argv[2], "w"); z.writestr(info, open(sys.argv[1], "rb").read(), compresslevel=9); z.close()' \
	  $(TF_BINARY) $(TF_PACKAGE)
	@echo "built $(TF_PACKAGE) (sha256 $$(sha256sum $(TF_PACKAGE) | cut -c1-64))"

tf-setup:
	@$(tf_have) || { echo "terraform (>= 1.11) is required: https://developer.hashicorp.com/terraform/install" >&2; exit 1; }
	@mkdir -p $(TF_WORK)
ifneq ($(TF_CLI_CONFIG),)
	@printf '%s\n' \
	  'provider_installation {' \
	  '  filesystem_mirror {' \
	  '    path    = "$(TF_PLUGIN_MIRROR)"' \
	  '    include = ["registry.terraform.io/hashicorp/*"]' \
	  '  }' \
	  '  direct {' \
	  '    exclude = ["registry.terraform.io/hashicorp/*"]' \
	  '  }' \
	  '}' > $(TF_CLI_CONFIG)
else
	@mkdir -p "$(TF_PLUGIN_CACHE_DIR)"
endif

tf-check-env:
	@case " $(TF_ENVS) " in *" $(ENV) "*) ;; *) echo "ENV must be one of: $(TF_ENVS) (got '$(ENV)')" >&2; exit 1;; esac


tf-check-region:
	@[ -n "$(TF_REGION)" ] || { echo "AWS_REGION is required: the account stack keeps one state per region" >&2; exit 1; }

# -reconfigure: each environment has its own state key; switching ENV must
# not offer to migrate one environment's state into another's.
tf-init: tf-setup tf-check-env
	$(call tf_require_bucket,envs/$(ENV).s3.tfbackend)
	$(TERRAFORM) -chdir=$(TF_DIR) init -input=false -reconfigure \
	  -backend-config=../envs/$(ENV).s3.tfbackend $(tf_bucket)

tf-account-init: tf-setup tf-check-region
	$(call tf_require_bucket,envs/account.s3.tfbackend)
	$(TERRAFORM) -chdir=$(TF_ACCOUNT_DIR) init -input=false -reconfigure \
	  -backend-config=../../envs/account.s3.tfbackend \
	  -backend-config=key=livecast-sessions/account/$(TF_REGION)/terraform.tfstate $(tf_bucket)

account: tf-account-init
	$(TERRAFORM) -chdir=$(TF_ACCOUNT_DIR) apply -input=false $(tf_approve) -var=region=$(TF_REGION)

destroy-account: tf-account-init
	$(TERRAFORM) -chdir=$(TF_ACCOUNT_DIR) destroy -input=false $(tf_approve) -var=region=$(TF_REGION)

# A saved plan is applied only as what it was made from: the package, the
# tfvars, the backend settings and every .tf source of the root module and
# its modules, hashed into $(tf_plan).sources when make plan saves it.
# (Terraform applies a saved plan with the configuration the plan holds, but
# uploads the package file as it is at apply time, and refuses a plan only
# when the state moved.)
tf_plan         = $(abspath $(TF_WORK))/$(ENV).tfplan
tf_plan_sources = { sha256sum $(TF_PACKAGE) envs/$(ENV).tfvars envs/$(ENV).s3.tfbackend; \
  find $(TF_DIR) -name '*.tf' -not -path '*/.terraform/*' -not -path '*/tests/*' | LC_ALL=C sort | xargs sha256sum; \
  echo "bucket $(TF_STATE_BUCKET)"; }

plan: package tf-init
	@rm -f $(tf_plan) $(tf_plan).sources
	$(TERRAFORM) -chdir=$(TF_DIR) plan -input=false -var-file=$(tf_var_file) -out=$(tf_plan)
	@$(tf_plan_sources) > $(tf_plan).sources
	@echo "saved $(tf_plan): make deploy ENV=$(ENV) applies exactly this plan"

# With a saved plan: applied when nothing it was made from changed (applying
# a saved plan asks no question: make plan was the review), refused when
# something did; a plan is applied once. Without one: plan and apply.
deploy: package $(if $(filter 1,$(MANAGE_ACCOUNT_LOGGING)),account) tf-init
	@if [ -f $(tf_plan) ]; then \
	  if ! $(tf_plan_sources) | cmp -s - $(tf_plan).sources; then \
	    echo "$(tf_plan) is stale: the package, envs/$(ENV).tfvars, the backend or the Terraform sources changed since make plan." >&2; \
	    $(tf_plan_sources) | diff $(tf_plan).sources - >&2 || true; \
	    echo "Run make plan ENV=$(ENV) again (or delete $(tf_plan) to plan and apply in one go)." >&2; \
	    exit 1; \
	  fi; \
	  echo "applying the saved plan $(tf_plan)"; \
	  $(TERRAFORM) -chdir=$(TF_DIR) apply -input=false $(tf_plan) && rm -f $(tf_plan) $(tf_plan).sources; \
	else \
	  $(TERRAFORM) -chdir=$(TF_DIR) apply -input=false $(tf_approve) -var-file=$(tf_var_file); \
	fi
	@$(TERRAFORM) -chdir=$(TF_DIR) output

# Evaluating the configuration needs a package file, not a fresh one.
destroy: tf-init
	@[ -f $(TF_PACKAGE) ] || $(MAKE) --no-print-directory package
	$(TERRAFORM) -chdir=$(TF_DIR) destroy -input=false $(tf_approve) -var-file=$(tf_var_file)

# Offline: every module's tests/, the account stack's, the root's tests/
# (no tfvars), and tests/envs once per environment with its tfvars. Inits
# skip the S3 backend.
tf-test:
	@$(tf_skip); $(MAKE) --no-print-directory tf-setup
	@$(tf_have) || exit 0; set -e; for dir in $(TF_MODULE_DIRS) $(TF_ACCOUNT_DIR) $(TF_DIR); do \
	  echo "== terraform test: $$dir"; \
	  $(TERRAFORM) -chdir=$$dir init -backend=false -input=false -no-color >/dev/null; \
	  $(TERRAFORM) -chdir=$$dir test -no-color; \
	done
	@$(tf_have) || exit 0; set -e; for env in $(TF_ENVS); do \
	  echo "== terraform test: $(TF_DIR) with envs/$$env.tfvars"; \
	  $(TERRAFORM) -chdir=$(TF_DIR) test -no-color -test-directory=tests/envs -var-file=../envs/$$env.tfvars; \
	done

# The account stack and every environment applied to moto, checked through
# the AWS APIs, re-planned (no change allowed) and destroyed; the package
# built twice and compared. 45 minutes: about 6 on a quiet 2-core machine,
# 12 when it is busy with other tests.
tf-acc:
	@$(tf_skip); $(MAKE) --no-print-directory tf-setup
	@$(tf_have) || exit 0; TF_ACC=1 TF_ACC_TERRAFORM_PATH="$$(command -v $(TERRAFORM))" \
	  $(GO) test -count=1 -timeout 45m -v ./tests/terraform/

tf-fmt:
	$(TERRAFORM) fmt -recursive $(TF_DIR)
	$(TERRAFORM) fmt envs

tf-lint: tf-setup
	$(TERRAFORM) fmt -check -recursive $(TF_DIR)
	$(TERRAFORM) fmt -check envs
	@set -e; for dir in $(TF_MODULE_DIRS) $(TF_ACCOUNT_DIR) $(TF_DIR); do \
	  echo "== terraform validate: $$dir"; \
	  $(TERRAFORM) -chdir=$$dir init -backend=false -input=false -no-color >/dev/null; \
	  $(TERRAFORM) -chdir=$$dir validate -no-color; \
	done
	@if command -v tfsec >/dev/null 2>&1; then \
	  tfsec --no-color --exclude-downloaded-modules $(TF_DIR); \
	else \
	  echo "tfsec not installed, security scan skipped: go install github.com/aquasecurity/tfsec/cmd/tfsec@latest"; \
	fi
