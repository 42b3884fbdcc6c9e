# The two commands a newcomer needs: `make run` and `make test`. Everything else is for developers and ops.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# `make test` gets its own servers (own ports, fresh data) so it never touches a running `make run`;
# override the ports to run two checkouts' tests side by side.
TEST_KAFKA_PORT ?= 19092
TEST_KAFKA_CONTROLLER_PORT ?= 19093
TEST_MONGO_PORT ?= 37017
TEST_KEYCLOAK_PORT ?= 19080
TEST_ENV := INFRA_STATE_DIR=.local/test INFRA_KAFKA_PORT=$(TEST_KAFKA_PORT) INFRA_KAFKA_CONTROLLER_PORT=$(TEST_KAFKA_CONTROLLER_PORT) INFRA_MONGO_PORT=$(TEST_MONGO_PORT) INFRA_KEYCLOAK_PORT=$(TEST_KEYCLOAK_PORT)

.PHONY: help setup infra-up infra-down test test-unit lint

help:
	@echo "make run        start Kafka, MongoDB-wire server, Keycloak, the three services and the web app (Ctrl-C stops all)"
	@echo "make test       set up if needed, start fresh servers, run every test, stop the servers"
	@echo "make setup      install Python deps (.venv), the web app's npm assets, Chromium, Kafka jars, Keycloak and SecantusDB (idempotent)"
	@echo "make infra-up   start Kafka, MongoDB-wire server and Keycloak only; prints their addresses"
	@echo "make infra-down stop what infra-up started"
	@echo "make lint       ruff + mypy"
	@echo "make asyncapi   write each service's AsyncAPI document to docs/asyncapi/"
	@echo "make api-conformance  schemathesis --checks all on each service's OpenAPI (thousands of requests)"
	@echo "make safety-fuzz  50,000 generated cases against the source-of-risk rules; prints examples and violations"
	@echo "make compose-env write .env with random secrets for docker compose (FORCE=1 replaces it)"

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# The web app's GOV.UK and MOJ assets (npm, pinned by package-lock.json), and Debian's Chromium
# for the browser tests (Playwright cannot download its own here).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch node_modules/.installed

setup: $(STAMP) node_modules/.installed
	$(PY) infra/local.py setup
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "The browser tests need Debian's Chromium: run 'sudo apt-get install -y chromium'" >&2; fi; \
	fi

infra-up: setup
	$(PY) infra/local.py up

infra-down:
	$(PY) infra/local.py down

# Uses KAFKA_BOOTSTRAP_SERVERS/MONGODB_URI (and OIDC_* of infra.env for the test Keycloak) when
# set (compose, a managed cluster) and starts nothing. DEVELOPMENT_MODE: the tests' services may
# run with development values.
test: export DEVELOPMENT_MODE = true
test: setup
	@if [ -n "$$KAFKA_BOOTSTRAP_SERVERS" ] && [ -n "$$MONGODB_URI" ]; then \
	  $(PY) -m pytest; exit $$?; \
	fi; \
	$(TEST_ENV) $(PY) infra/local.py up --fresh || { $(TEST_ENV) $(PY) infra/local.py down; exit 1; }; \
	set -a; source .local/test/infra.env; set +a; \
	$(PY) -m pytest; status=$$?; \
	$(TEST_ENV) $(PY) infra/local.py down; \
	exit $$status

test-unit: setup
	$(PY) -m pytest tests/unit

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy shared services tests infra bench demo

.PHONY: run demo asyncapi dead-letters replay-dead-letter discard-dead-letter rebuild-projection bench safety-fuzz compose-env api-conformance

run: setup
	$(PY) infra/stack.py

demo: setup
	$(PY) -m demo.story

asyncapi: setup
	$(PY) -m services.asyncapi docs/asyncapi

dead-letters: setup
	$(VENV)/bin/safeguarding-ops dead-letters list $(if $(SHOW_BODY),--show-body)

# make replay-dead-letter TOPIC=safeguarding.concerns.submitted.dlt PARTITION=0 OFFSET=3
replay-dead-letter: setup
	$(VENV)/bin/safeguarding-ops dead-letters replay $(TOPIC) $(PARTITION) $(OFFSET)

# make discard-dead-letter TOPIC=safeguarding.concerns.submitted.dlt PARTITION=0 OFFSET=3
discard-dead-letter: setup
	$(VENV)/bin/safeguarding-ops dead-letters discard $(TOPIC) $(PARTITION) $(OFFSET)

# make rebuild-projection SERVICE_URL=http://127.0.0.1:8002 PROJECTION=case-file OPS_TOKEN=<a manager's access token>
rebuild-projection: setup
	$(VENV)/bin/safeguarding-ops rebuild $(SERVICE_URL) $(PROJECTION)

bench: setup
	$(PY) -m bench.run

# The property tests CI runs with 2,000 examples, with 50,000 new ones; needs no servers, and
# has no per-test time limit (the suite's would stop a long run).
safety-fuzz: $(STAMP)
	SAFETY_FUZZ_PROFILE=safety-fuzz $(PY) -m pytest -q -p no:cacheprovider -o timeout=0 tests/unit/notification/test_source_of_risk_properties.py tests/unit/notification/test_routes_never_reach_the_source.py

compose-env: $(STAMP)
	$(PY) infra/compose_env.py $(if $(FORCE),--force)

# schemathesis with every check on each service's OpenAPI document, on fresh servers of its own:
# API_CONFORMANCE_EXAMPLES per operation (thousands of requests in all). `make test` runs a few.
API_CONFORMANCE_EXAMPLES ?= 100
CONFORMANCE_KAFKA_PORT ?= 29092
CONFORMANCE_KAFKA_CONTROLLER_PORT ?= 29093
CONFORMANCE_MONGO_PORT ?= 47017
CONFORMANCE_KEYCLOAK_PORT ?= 29080
api-conformance: setup
	INFRA_STATE_DIR=.local/conformance INFRA_KAFKA_PORT=$(CONFORMANCE_KAFKA_PORT) INFRA_KAFKA_CONTROLLER_PORT=$(CONFORMANCE_KAFKA_CONTROLLER_PORT) INFRA_MONGO_PORT=$(CONFORMANCE_MONGO_PORT) INFRA_KEYCLOAK_PORT=$(CONFORMANCE_KEYCLOAK_PORT) DEVELOPMENT_MODE=true API_CONFORMANCE_EXAMPLES=$(API_CONFORMANCE_EXAMPLES) $(PY) -m tests.support.conformance
