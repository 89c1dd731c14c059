# Sagaflow — the commands a developer needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

# Install when node_modules is missing or older than the lockfile.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: help install build lint broker test local dev rabbitmq-definitions bench chaos clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

install: node_modules/.package-lock.json ## install dependencies (npm ci) when needed

build: install ## compile every package and build the timeline viewer (ui/dist, served at /ui/)
	tsc -b
	npm run build --workspace ui

lint: build ## eslint, prettier check, type check and import rules (one-way package dependencies, no cycles)
	eslint .
	prettier --check .
	node scripts/check-imports.mjs

broker: ## make sure RabbitMQ has its management API (enables the plugin on a local broker) and the feature flags quorum queues need
	scripts/ensure-broker.sh

test: lint broker ## lint, then every package's tests against the local RabbitMQ and PostgreSQL
	lerna run test --concurrency 1 --stream

local: build ## every service as a local process (SERVICES=orchestrator,payment to pick; STORE_URL to choose the store)
	node scripts/local.mjs

dev: build ## the whole system in Docker Compose where a Docker engine answers, else as local processes
	@if docker info >/dev/null 2>&1; then \
	  node scripts/dev-env.mjs && \
	  if docker compose version >/dev/null 2>&1; then docker compose up --build; else docker-compose up --build; fi; \
	else \
	  echo "[dev] no Docker engine answers (docker info): running the services as local processes, as make local does"; \
	  node scripts/local.mjs; \
	fi

rabbitmq-definitions: build ## regenerate ops/config/rabbitmq/definitions.json (classic) and definitions.quorum.json from the contracts' topology
	node ops/dist/src/deploy/write-rabbitmq-definitions.js
	prettier --write ops/config/rabbitmq/definitions*.json

bench: build broker ## throughput and latency of the whole system, the engine, the null saga and the viewer under load; writes bench-results/latest.json (takes a while)
	node contracts/dist/bench/bus-bench.js
	node ops/dist/bench/system-bench.js $(BENCH_ARGS)
	tsx ui/bench/viewer-load.ts 600 50

chaos: build broker ## faults under load checked by invariants (CHAOS_ARGS, e.g. --only broker-gone --orders 500); writes chaos-results/latest.json, fails if any invariant breaks
	node ops/dist/chaos/chaos.js $(CHAOS_ARGS)

clean: ## remove build output
	rm -rf */dist */*.tsbuildinfo ui/.tsbuild
