# Sagaflow — the commands a developer needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

# Install when node_modules is missing or older than the lockfile.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: help install build lint test local bench clean

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

test: lint ## lint, then every package's tests against the local RabbitMQ and PostgreSQL
	lerna run test --concurrency 1 --stream

local: build ## every service as a local process (SERVICES=orchestrator,payment to pick; STORE_URL to choose the store)
	node scripts/local.mjs

bench: build ## throughput and latency: messaging kit vs raw amqplib, saga engine, whole system, viewer under load (takes minutes)
	node contracts/dist/bench/bus-bench.js
	node orchestrator/dist/bench/engine-bench.js --sagas 1000 --concurrency 50,200 --runs 3
	node ops/dist/bench/e2e-bench.js --orders 1000 --concurrency 50 --runs 3
	tsx ui/bench/viewer-load.ts 600 50

clean: ## remove build output
	rm -rf */dist */*.tsbuildinfo ui/.tsbuild
