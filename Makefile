# FreeSport migration gate. `make help` lists the targets; README.md explains them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
PYTEST := .venv/bin/pytest
export PYTHONPATH := $(CURDIR)

.PHONY: help bootstrap test lint

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-22s %s\n", $$1, $$2}'

bootstrap: ## virtualenv + PostgreSQL server binaries (apt when missing)
	@scripts/bootstrap/venv.sh
	@scripts/bootstrap/postgres.sh

.PHONY: bootstrap-containers
bootstrap-containers: ## Docker engine (started when none answers, root) + PostgreSQL 15 image (built once)
	@scripts/bootstrap/docker-engine.sh
	@scripts/bootstrap/postgres-image.sh || echo "containers unavailable: the PostgreSQL image could not be built; using local PostgreSQL binaries" >&2

.PHONY: report-tools report
report-tools: ## Allure 3 (npm ci from package-lock.json) + Debian chromium for the report (apt when missing)
	@scripts/bootstrap/report-tools.sh

report: bootstrap report-tools ## the Allure single-file report + sign-off page of the last run (or RUN_DIR=...)
	@$(PY) -m gate.report --png $(RUN_DIR)

lint: bootstrap ## ruff
	.venv/bin/ruff check .

test: bootstrap bootstrap-containers report-tools ## the project's own tests (tests/disposable_pg runs on both backends)
	.venv/bin/ruff check .
	$(PYTEST) -p no:cacheprovider tests/
	cd backend && ../$(PYTEST)

.PHONY: preflight backup local-target local-target-down
GATE_ENV = $(if $(ENV_FILE),ENV_FILE=$(ENV_FILE)) $(if $(RUN_DIR),RUN_DIR=$(RUN_DIR))
preflight: bootstrap ## preflight checks (PRE-*, BKP-*) against the target (ENV_FILE, default var/local.env); exit code = verdict
	$(GATE_ENV) $(PYTEST) -m preflight $(PYTEST_ARGS)

backup: bootstrap ## the window's backup step: pg_dump + pre-migration snapshot in one exported snapshot, into RUN_DIR
	$(GATE_ENV) $(PY) -m gate.backup

local-target: bootstrap ## a local FreeSport at v13.3: disposable PostgreSQL, seeded, gunicorn, settings in var/local.env
	$(PY) -m gate.local_target up

local-target-down: ## stop the local target and remove what it made
	$(PY) -m gate.local_target down

.PHONY: serve
serve: bootstrap ## the reference backend on a disposable PostgreSQL at v13.4 with sample data (Ctrl-C stops)
	$(PY) backend/scripts/serve.py
