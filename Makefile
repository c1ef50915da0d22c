# The session service. Two commands matter: `make test` proves the project,
# `make run` shows it working locally. Both install what is missing (moto in a
# project-local virtual environment, the Go modules, the client kit's npm
# packages) and start what they need on free loopback ports, stopped by PID.
#
# Every target (`make help` prints this list):
#
#   help            this list
#   test            everything below that proves the project: vet, gofmt, Go tests
#                   (race detector, fuzz seeds, end-to-end, headless browser),
#                   the JS client's tests, Terraform tests and applies
#   run             moto + the whole service on ADDR (127.0.0.1:8080): console at /, audio loopback on
#   lint            gofmt, go vet, staticcheck, terraform fmt/validate (tfsec if present)
#   bench           load scenarios on this machine; writes build/bench.json
#   build           build/sessions, the binary for this machine
#   deps            install what is missing: moto, Go modules, npm packages
#   go-test         the Go tests only (race detector; fuzz seed corpora included)
#   js-test         the TypeScript client library's tests against a real local mode
#   console-bundle  rebuild the JS library and refresh the console's embedded copy
#   vet, fmt-check, staticcheck   the checks lint and test are made of
#
# Infrastructure targets come from terraform/terraform.mk (its top lists them):
#   package, account, deploy, plan, destroy, destroy-account,
#   tf-test, tf-acc, tf-lint, tf-fmt

SHELL := /bin/bash
GO    ?= go
NPM   ?= npm
ADDR  ?= 127.0.0.1:8080

# moto: the system Python's when it has it, else the project's own virtual
# environment (created on first use). Tests find it through MOTO_PYTHON.
MOTO_VERSION := 5.2.1
VENV         := .venv
MOTO_PYTHON  := $(shell python3 -c 'import moto.moto_server.werkzeug_app, werkzeug' >/dev/null 2>&1 && echo python3 || echo $(abspath $(VENV))/bin/python)
export MOTO_PYTHON

JS_DIR := clients/js
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: help test run lint bench build deps moto go-deps js-deps go-test js-test vet fmt-check staticcheck console-bundle

help:
	@sed -n '/^# Every target/,/^$$/p' $(firstword $(MAKEFILE_LIST)) | sed 's/^#//'

# js-test runs before go-test: it builds the library's browser bundle, which a
# console test compares with the copy the console embeds.
test: deps vet fmt-check js-test go-test tf-test tf-acc

lint: fmt-check vet staticcheck tf-lint

deps: moto go-deps js-deps

# A virtual environment only when the system Python lacks moto; nothing global.
moto:
	@if [ "$(MOTO_PYTHON)" != python3 ] && ! "$(MOTO_PYTHON)" -c 'import moto.moto_server.werkzeug_app' >/dev/null 2>&1; then \
	  echo "moto not found: installing moto[server]==$(MOTO_VERSION) into $(VENV)"; \
	  python3 -m venv $(VENV) && $(VENV)/bin/pip install --quiet 'moto[server]==$(MOTO_VERSION)'; \
	fi

go-deps:
	$(GO) mod download

# npm ci only when the lock file changed since the last install. Without
# Node.js the client kit's targets say so and skip (JS_REQUIRED=1: fail).
js_skip = if ! command -v $(NPM) >/dev/null 2>&1; then \
  if [ -n "$(JS_REQUIRED)" ]; then echo "npm not found" >&2; exit 1; fi; \
  echo "npm not found: $@ SKIPPED (install Node.js 20+)"; exit 0; fi
js-deps:
	@$(js_skip); $(MAKE) --no-print-directory $(JS_DIR)/node_modules/.installed
$(JS_DIR)/node_modules/.installed: $(JS_DIR)/package-lock.json
	$(NPM) ci --prefix $(JS_DIR) --no-audit --no-fund
	@touch $@

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change: $$out" >&2; exit 1; fi

staticcheck:
	$(GO) run $(STATICCHECK) ./...

# Every Go test with the race detector; the fuzz tests' seed corpora run here
# too. Test packages start their own moto_server on a free port. Without
# Chromium the console's browser tests skip (go test hides why, so this says
# it); CONSOLE_BROWSER_REQUIRED=1 (set by .ci/run) makes them fail instead.
go-test: moto
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  echo "chromium not found: the console's browser tests are SKIPPED (apt-get install -y chromium)"
	$(GO) test -race -count=1 -timeout 30m ./...

# The library's tests start moto and local mode themselves, from this binary.
js-test: moto js-deps
	@$(js_skip); $(GO) build -o build/sessions . && SESSIONS_BIN=$(CURDIR)/build/sessions $(NPM) test --prefix $(JS_DIR)

# The console (clients/console) embeds the JS library's browser bundle; a Go
# test compares the embedded copy with a fresh build.
console-bundle: js-deps
	$(NPM) run build --prefix $(JS_DIR)
	cp $(JS_DIR)/dist/sessions.browser.js clients/console/static/sessions.browser.js

build:
	$(GO) build -o build/sessions .

# Load scenarios on this machine (local mode + moto_server): DynamoDB and
# Kinesis requests and handler latency per operation, join storms on the
# contention stand-in, invariants after every scenario, the Lambda binary's
# cold start, comparison with the original design. Writes build/bench.json
# and build/bench.log; fails on a broken invariant or an exceeded budget.
# BENCH_FLAGS='-duration 30s' for a short run.
bench: moto
	$(GO) run ./tests/bench -out build/bench.json -log build/bench.log $(BENCH_FLAGS)

# Local mode: moto_server (DynamoDB and Kinesis) on a free port, then the
# whole service on $(ADDR) with the audio loopback, until Ctrl-C.
run: moto go-deps
	@set -euo pipefail; \
	port=$$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'); \
	"$(MOTO_PYTHON)" local/motoserver/serve.py $$port >/tmp/sessions-moto.log 2>&1 & moto_pid=$$!; \
	trap 'kill $$moto_pid 2>/dev/null || true' EXIT INT TERM; \
	for i in $$(seq 1 100); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$$port/moto-api/')" 2>/dev/null && break; sleep 0.1; done; \
	echo "AWS API emulator (moto_server) on http://127.0.0.1:$$port, pid $$moto_pid"; \
	AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$$port AWS_ENDPOINT_URL_KINESIS=http://127.0.0.1:$$port \
	AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
	  $(GO) run . local -addr $(ADDR) -audio-loopback

include terraform/terraform.mk
