# Careplane: the single entry point. Needs only python3 and make on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS := $(CURDIR)/.tools
UV_SYSTEM := $(shell command -v uv 2>/dev/null)
UV := $(if $(UV_SYSTEM),$(UV_SYSTEM),$(TOOLS)/bin/uv)
RUN := $(UV) run --frozen
SVC ?=
m ?=

.PHONY: help install run test test-fast fuzz chaos schema lint fmt typecheck migrate revision bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(TOOLS)/bin/uv:
	@echo "uv not found: installing it into $(TOOLS) (project-local, no root needed)"
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv>=0.5"

.venv/.synced: uv.lock pyproject.toml $(wildcard services/*/pyproject.toml) gateway/pyproject.toml tools/devrun/pyproject.toml | $(UV)
	$(UV) sync --frozen --all-packages --compile-bytecode
	@touch $@

install: .venv/.synced ## install every piece and the dev tools into .venv

run: install ## start embedded PostgreSQL, migrate, load demo data, start all four pieces
	$(RUN) python -m careplane_devrun

test: install ## run the whole suite (embedded PostgreSQL unless CAREPLANE_TEST_DATABASE_URL is set)
	$(RUN) pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# Bounded: FUZZ_MAX_EXAMPLES examples per operation, derandomized, and a hard time limit.
FUZZ_TIMEOUT ?= 1200
fuzz: install ## schemathesis against every service's OpenAPI on 127.0.0.1: no 5xx (bounded, deterministic)
	timeout --signal=INT --kill-after=30 $(FUZZ_TIMEOUT) $(RUN) pytest -q -p no:randomly -p no:cacheprovider tests/tenancy/fuzz_openapi.py $(PYTEST_ARGS)

# Bounded: CHAOS_CASES cases spread over CHAOS_SECONDS, a bounded wait for recovery, and a
# hard time limit. Not part of `make test` (pytest does not recurse into tests/chaos).
CHAOS_TIMEOUT ?= 600
chaos: install ## two replicas of every piece under load, kill -9 them: nothing lost or doubled
	timeout --signal=INT --kill-after=30 $(CHAOS_TIMEOUT) $(RUN) pytest -q -s -p no:randomly -p no:cacheprovider tests/chaos/chaos_run.py $(PYTEST_ARGS)

schema: install ## write the gateway's GraphQL SDL to gateway/tests/schema.graphql (a test compares it with the code)
	$(RUN) python -c 'from careplane_gateway.config import GatewaySettings; from careplane_gateway.graphql.schema import build_schema; print(build_schema(GatewaySettings(env="test")).as_str())' > gateway/tests/schema.graphql

lint: install ## ruff and mypy
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy services/shared/src services/tickets/src services/contracts/src services/notify/src gateway/src tools/devrun/src

fmt: install ## format and autofix
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

migrate: install ## apply every service's migrations (database URLs from the environment or the embedded server)
	$(RUN) python -m careplane_devrun migrate

revision: install ## new migration: make revision SVC=tickets m="add tickets"
	@test -n "$(SVC)" -a -n "$(m)" || (echo 'usage: make revision SVC=tickets m="message"' && exit 2)
	$(RUN) python -m careplane_devrun revision $(SVC) "$(m)"

# The stack bench runs last: its goals table takes in the figures the others recorded.
bench: install ## run the benchmarks in bench/: their figures and the goals table (installs wrk as root)
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing wrk, the benches' load generator (apt-get)"; \
	    apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } \
	      || echo "wrk could not be installed: the benches use their Python load generator"; \
	  else echo "wrk not found (install it as root): the benches use their Python load generator"; fi; }
	@mkdir -p .data/bench && rm -f .data/bench/results.json
	@for b in bench/bench_sla_engine.py bench/bench_deliveries.py bench/bench_stack.py; do \
	  echo "== $$b"; BENCH_RESULTS=$(CURDIR)/.data/bench/results.json $(RUN) python $$b || exit 1; done

clean: ## remove the virtualenv, tools and local data
	rm -rf .venv .tools .data
