# Infrastructure targets of the session service. The top Makefile includes
# this file; paths are relative to the repository root.
#
#   make package                 build/bootstrap.zip (linux/arm64 "bootstrap")
#   make deploy ENV=dev          package, init the S3 backend, apply envs/dev.tfvars
#   make plan ENV=prod           the same up to a saved plan
#   make destroy ENV=staging     destroy an environment
#   make tf-test                 offline: terraform test (mocked AWS) per module and root
#   make tf-acc                  offline: apply/plan/destroy the root on moto (Go test)
#   make tf-lint                 terraform fmt -check, validate, tfsec when installed
#
# Offline machines: when a provider mirror exists at $(TF_PLUGIN_MIRROR), a
# CLI configuration that installs hashicorp/* providers from it is generated
# under .tf/ and exported as TF_CLI_CONFIG_FILE to every recipe. Without a
# mirror Terraform uses the public registry with a shared plugin cache.

# Keep the including Makefile's default goal: nothing here should become it.
tf_default_goal := $(.DEFAULT_GOAL)

ENV              ?= dev
TERRAFORM        ?= terraform
GO               ?= go
TF_ENVS          := dev staging prod
TF_DIR           := terraform
TF_MODULE_DIRS   := $(patsubst %/main.tf,%,$(wildcard $(TF_DIR)/modules/*/main.tf))
TF_WORK          := .tf
TF_PACKAGE       := build/bootstrap.zip
TF_PLUGIN_MIRROR ?= /opt/tf-plugins
# Give the state bucket here or in envs/<env>.s3.tfbackend (bucket = "...").
TF_STATE_BUCKET  ?=
# AUTO_APPROVE=1 skips Terraform's confirmation prompt in deploy and destroy.
AUTO_APPROVE     ?=
# TF_REQUIRED=1 makes a missing terraform binary fail tf-test instead of skipping.
TF_REQUIRED      ?=

ifneq ($(wildcard $(TF_PLUGIN_MIRROR)/registry.terraform.io/hashicorp/aws),)
TF_CLI_CONFIG := $(abspath $(TF_WORK))/cli.tfrc
export TF_CLI_CONFIG_FILE := $(TF_CLI_CONFIG)
else
TF_CLI_CONFIG :=
export TF_PLUGIN_CACHE_DIR ?= $(HOME)/.terraform.d/plugin-cache
endif

tf_var_file     = ../envs/$(ENV).tfvars
tf_backend_file = envs/$(ENV).s3.tfbackend
tf_approve      = $(if $(AUTO_APPROVE),-auto-approve)
tf_have         = command -v $(TERRAFORM) >/dev/null 2>&1
# Recursive make on the same makefiles (this file may be read with -f or included).
tf_make         = $(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST))

.PHONY: package tf-setup tf-check-env tf-init plan deploy destroy tf-test tf-test-run tf-acc tf-lint tf-fmt lint test

# The Lambda package: the repository root's main package for linux/arm64,
# zipped with the executable named "bootstrap" at the root of the archive.
package:
	@mkdir -p build
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -o build/bootstrap .
	@rm -f $(TF_PACKAGE)
	@if command -v zip >/dev/null 2>&1; then \
	  cd build && zip -q -X bootstrap.zip bootstrap; \
	else \
	  python3 -m zipfile -c $(TF_PACKAGE) build/bootstrap; \
	fi
	@echo "built $(TF_PACKAGE)"

# destroy needs a package file to evaluate the configuration, not a fresh one.
$(TF_PACKAGE):
	$(tf_make) package

tf-setup:
	@$(tf_have) || { echo "terraform (>= 1.7) is required: https://developer.hashicorp.com/terraform/install" >&2; exit 1; }
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
	@test -f envs/$(ENV).tfvars || { echo "missing envs/$(ENV).tfvars" >&2; exit 1; }

# -reconfigure: each environment has its own state key; switching ENV must
# not offer to migrate one environment's state into another's.
tf-init: tf-setup tf-check-env
	@if [ -z "$(TF_STATE_BUCKET)" ] && ! grep -Eq '^[[:space:]]*bucket[[:space:]]*=' $(tf_backend_file); then \
	  echo "No state bucket: run with TF_STATE_BUCKET=<an S3 bucket of yours> or add bucket = \"...\" to $(tf_backend_file)" >&2; exit 1; fi
	$(TERRAFORM) -chdir=$(TF_DIR) init -input=false -reconfigure \
	  -backend-config=../$(tf_backend_file) $(if $(TF_STATE_BUCKET),-backend-config=bucket=$(TF_STATE_BUCKET))

plan: package tf-init
	$(TERRAFORM) -chdir=$(TF_DIR) plan -input=false -var-file=$(tf_var_file) -out=$(abspath $(TF_WORK))/$(ENV).tfplan

deploy: package tf-init
	$(TERRAFORM) -chdir=$(TF_DIR) apply -input=false $(tf_approve) -var-file=$(tf_var_file)
	@$(TERRAFORM) -chdir=$(TF_DIR) output

destroy: $(TF_PACKAGE) tf-init
	$(TERRAFORM) -chdir=$(TF_DIR) destroy -input=false $(tf_approve) -var-file=$(tf_var_file)

# Offline unit tests: every module's tests/ and the root's, the root once per
# environment with that environment's tfvars. Inits skip the S3 backend.
# Without a terraform binary they are reported as skipped (TF_REQUIRED=1
# makes that an error).
tf-test:
	@if $(tf_have); then $(tf_make) tf-test-run; \
	elif [ -n "$(TF_REQUIRED)" ]; then echo "terraform not found" >&2; exit 1; \
	else echo "terraform not found: terraform tests SKIPPED (install Terraform >= 1.7)"; fi

tf-test-run: tf-setup
	@set -e; for dir in $(TF_MODULE_DIRS) $(TF_DIR); do \
	  $(TERRAFORM) -chdir=$$dir init -backend=false -input=false -no-color >/dev/null; \
	done
	@set -e; for dir in $(TF_MODULE_DIRS); do \
	  echo "== terraform test: $$dir"; \
	  $(TERRAFORM) -chdir=$$dir test -no-color; \
	done
	@echo "== terraform test: $(TF_DIR) (switches and checks)"
	@$(TERRAFORM) -chdir=$(TF_DIR) test -no-color -filter=tests/root.tftest.hcl
	@set -e; for env in $(TF_ENVS); do \
	  echo "== terraform test: $(TF_DIR) with envs/$$env.tfvars"; \
	  $(TERRAFORM) -chdir=$(TF_DIR) test -no-color -filter=tests/env.tftest.hcl -var-file=../envs/$$env.tfvars; \
	done

# The root module applied, re-planned (no changes expected) and destroyed on
# moto by terraform-plugin-testing (tests/terraform_test.go). The test skips
# itself, saying why, when terraform or moto_server is missing.
tf-acc:
	@if $(tf_have); then $(tf_make) tf-setup; fi
	TF_ACC=1 TF_ACC_TERRAFORM_PATH="$$(command -v $(TERRAFORM) || true)" \
	  $(GO) test -count=1 -timeout 30m -run '^TestTerraform' -v ./tests/

tf-fmt:
	$(TERRAFORM) fmt -recursive $(TF_DIR)
	$(TERRAFORM) fmt envs

tf-lint: tf-setup
	$(TERRAFORM) fmt -check -recursive $(TF_DIR)
	$(TERRAFORM) fmt -check envs
	@set -e; for dir in $(TF_MODULE_DIRS) $(TF_DIR); do \
	  echo "== terraform validate: $$dir"; \
	  $(TERRAFORM) -chdir=$$dir init -backend=false -input=false -no-color >/dev/null; \
	  $(TERRAFORM) -chdir=$$dir validate -no-color; \
	done
	@if command -v tfsec >/dev/null 2>&1; then \
	  tfsec --no-color --exclude-downloaded-modules $(TF_DIR); \
	else \
	  echo "tfsec not installed, security scan skipped: go install github.com/aquasecurity/tfsec/cmd/tfsec@latest"; \
	fi

# Joined to the including Makefile's own lint and test targets (prerequisites
# only, so its recipes stay its own).
lint: tf-lint
test: tf-test tf-acc

.DEFAULT_GOAL := $(tf_default_goal)
