# The two commands that matter: `make test` proves the project, `make run`
# shows it working locally. Both start what they need (a DynamoDB-API server
# on a free loopback port) and stop it by PID.

SHELL := /bin/bash
GO    ?= go
ADDR  ?= 127.0.0.1:8080

.PHONY: test run check-moto go-test vet fmt-check build bench

test: check-moto vet fmt-check go-test

# Infrastructure: package, deploy, plan, destroy, lint, and the Terraform
# tests that `make test` also runs (tf-test, tf-acc).
include terraform/terraform.mk

check-moto:
	@python3 -c 'import moto.moto_server.werkzeug_app, werkzeug' 2>/dev/null || { \
	  echo "moto_server (a local DynamoDB API) is required: pip install 'moto[server]>=5.2'" >&2; exit 1; }

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change: $$out" >&2; exit 1; fi

# Every Go test with the race detector; the fuzz tests' seed corpora run here
# too. Test packages start their own moto_server on a free port.
go-test:
	$(GO) test -race -count=1 -timeout 20m ./...

build:
	$(GO) build -o build/sessions .

# Load scenarios on this machine (local mode + moto_server): DynamoDB round
# trips and handler latency per operation, invariants after every scenario,
# the Lambda binary's cold start, comparison with the original design.
# Writes build/bench.json and build/bench.log; fails on a broken invariant or
# an exceeded round-trip budget. BENCH_FLAGS='-duration 30s' for a short run.
bench: check-moto
	$(GO) run ./tests/bench -out build/bench.json -log build/bench.log $(BENCH_FLAGS)

# Local mode: moto_server on a free port, then the whole service on $(ADDR),
# with the audio loopback standing in for the translation pipeline.
run: check-moto
	@set -euo pipefail; \
	port=$$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'); \
	python3 tests/motoserver/serve.py $$port >/tmp/sessions-moto.log 2>&1 & moto_pid=$$!; \
	trap 'kill $$moto_pid 2>/dev/null || true' EXIT INT TERM; \
	for i in $$(seq 1 100); do curl -sf http://127.0.0.1:$$port/moto-api/ >/dev/null 2>&1 && break; sleep 0.1; done; \
	echo "DynamoDB and Kinesis APIs (moto_server) on http://127.0.0.1:$$port, pid $$moto_pid"; \
	AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$$port AWS_ENDPOINT_URL_KINESIS=http://127.0.0.1:$$port \
	AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
	  $(GO) run . local -addr $(ADDR) -audio-loopback
