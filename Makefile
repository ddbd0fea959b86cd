# FreeSport migration gate. `make help` lists the targets; docs/ explains them (README.md routes).
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
PYTEST := .venv/bin/pytest
TEST_JOBS ?= 2
export PYTHONPATH := $(CURDIR)

.PHONY: help bootstrap test lint typecheck

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

typecheck: bootstrap ## mypy --strict on gate/, disposable_pg/, rehearse/ and the checks (tests/preflight, window, postflight, rollback); settings: pyproject.toml [tool.mypy]
	.venv/bin/mypy

# ruff first (a second); then mypy and the backend's tests beside the self-tests, their output printed
# whole after the self-tests' (each in its own file meanwhile); exit 1 if any of the four failed.
test: bootstrap bootstrap-containers report-tools ## the project's own tests: ruff, then mypy --strict (make typecheck) and the reference backend's tests (backend/) beside the gate's self-tests (tests/)
	.venv/bin/ruff check .
	@out=$$(mktemp -d); \
	( .venv/bin/mypy > $$out/mypy 2>&1; echo $$? > $$out/mypy.rc ) & \
	( cd backend && ../$(PYTEST) > $$out/backend 2>&1; echo $$? > $$out/backend.rc ) & \
	echo "$(PYTEST) -p no:cacheprovider -n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder tests/"; \
	$(PYTEST) -p no:cacheprovider -n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder tests/; echo $$? > $$out/self.rc; \
	wait; \
	echo ".venv/bin/mypy"; cat $$out/mypy; \
	echo "cd backend && ../$(PYTEST)"; cat $$out/backend; \
	failed=$$(for step in mypy self backend; do [ "$$(cat $$out/$$step.rc)" = 0 ] || echo $$step; done); \
	rm -rf $$out; \
	if [ -n "$$failed" ]; then echo "make test: failed:" $$failed >&2; exit 1; fi

.PHONY: preflight backup local-target local-target-down
GATE_ENV = $(if $(ENV_FILE),ENV_FILE=$(ENV_FILE)) $(if $(RUN_DIR),RUN_DIR=$(RUN_DIR))
preflight: bootstrap ## preflight checks (PRE-*, BKP-*) against the target (ENV_FILE, default var/local.env); exit code = verdict
	@$(GATE_ENV) $(PYTEST) -m preflight $(PYTEST_ARGS)

backup: bootstrap ## the window's backup step: pg_dump + pre-migration snapshot in one exported snapshot, into RUN_DIR
	$(GATE_ENV) $(PY) -m gate.backup

local-target: bootstrap ## a local FreeSport at v13.3: disposable PostgreSQL, seeded, gunicorn, settings in var/local.env
	$(PY) -m rehearse.local_target up

local-target-down: ## stop the local target and remove what it made
	$(PY) -m rehearse.local_target down

# The migration window (docs/window.md): make migrate runs every phase in order;
# each phase is also a target for a person running the window by hand. FROM=<step> resumes.
.PHONY: migrate maintenance-on deploy migrate-db pre-import flush import postflight maintenance-off smoke \
	runbook-lint monitor window-status
WINDOW = $(GATE_ENV) $(if $(CONFIRM),CONFIRM=$(CONFIRM)) $(PY) -m gate.window
WINDOW_STEP_FLAGS = $(if $(filter yes,$(REPEAT)),--repeat)
migrate: bootstrap ## the whole window: preflight → backup → maintenance on → deploy → migrate → pre-import → flush → import → postflight → maintenance off → smoke (CONFIRM=yes, FROM=<step>)
	$(WINDOW) migrate $(if $(FROM),--from $(FROM)) $(if $(TO),--to $(TO)) $(WINDOW_STEP_FLAGS)
maintenance-on: bootstrap ## window phase: maintenance on + MNT-01
	$(WINDOW) step maintenance_on $(WINDOW_STEP_FLAGS)
deploy: bootstrap ## window phase: deploy RELEASE_TAG (DEPLOY_CMD) + DEP-01, RUN-01..03
	$(WINDOW) step deploy $(WINDOW_STEP_FLAGS)
migrate-db: bootstrap ## window phase: MIG-01/03 → manage.py migrate (lock/statement timeouts) → MIG-04, MIG-02
	$(WINDOW) step migrate $(WINDOW_STEP_FLAGS)
pre-import: bootstrap ## window phase: the 1C package + ONE-01..04, COL-01
	$(WINDOW) step pre_import $(WINDOW_STEP_FLAGS)
flush: bootstrap ## window phase: dry run + FLS-01 → flush (CONFIRM=yes and this run's BKP-01..04 passed) → FLS-02
	$(WINDOW) step flush $(WINDOW_STEP_FLAGS)
import: bootstrap ## window phase: import_products_from_1c + IMP-01..03
	$(WINDOW) step import $(WINDOW_STEP_FLAGS)
postflight: bootstrap ## every postflight check (PST-01..10) against the target, in parallel (pytest-xdist), into the latest run
	$(WINDOW) checks PST-01,PST-02,PST-03,PST-04,PST-05,PST-06,PST-07,PST-08,PST-09,PST-10 --xdist
maintenance-off: bootstrap ## window phase: maintenance off + MNT-02
	$(WINDOW) step maintenance_off $(WINDOW_STEP_FLAGS)
smoke: bootstrap ## window phase: the runbook's smoke curls + PST-04/05/06/08/09 over HTTP
	$(WINDOW) step smoke $(WINDOW_STEP_FLAGS)
runbook-lint: bootstrap ## every command/script/URL/tool of RUNBOOK=<file.md> checked against the target, line by line
	$(GATE_ENV) $(if $(RUNBOOK),RUNBOOK=$(RUNBOOK)) $(PY) -m gate.runbook
monitor: bootstrap ## MON-01 every MONITOR_INTERVAL_MINUTES for MONITOR_DURATION_HOURS (24 h), appended to the run
	$(GATE_ENV) $(PY) -m gate.window.monitor
window-status: ## the step journal of the latest run (or RUN_DIR=...): INTERRUPTED + the command that resumes it
	$(GATE_ENV) $(PY) -m gate.window status
.PHONY: gate-role
gate-role: bootstrap ## print the SQL of a role for the checks that reads every table and writes none (APPLY=yes: create it, GATE_DATABASE_URL into ENV_FILE)
	$(GATE_ENV) $(PY) -m gate.db.gate_role $(if $(filter yes,$(APPLY)),--apply $(or $(ENV_FILE),var/local.env))
.PHONY: window-close
window-close: ## close an interrupted window on purpose, recording who and why (REASON=..., RUN_DIR= or RUN_ID=)
	$(GATE_ENV) $(if $(RUN_ID),RUN_ID=$(RUN_ID)) $(PY) -m gate.window close --reason "$(REASON)"

# The nightly rehearsal (docs/rehearsal.md): a disposable FreeSport, the whole window, the way
# back, the report. Exit code = the verdict's (0 only on GO). FAULT=<name> injects one fault.
.PHONY: rehearsal rollback-rehearsal fault-matrix crash-matrix
crash-matrix: bootstrap ## kill -9 of the window at every step + the proposed resume, of the rollback in each phase/mode + a re-run (ONLY=window:import,rollback:swap:restore); docs/crash-matrix.md
	$(PY) -m rehearse.crash $(if $(ONLY),--only $(ONLY))
rehearsal: bootstrap bootstrap-containers report-tools ## the nightly rehearsal: disposable PG → v13.3 (or REHEARSAL_SOURCE_DUMP) → the window → rollback → report (FAULT=<name>); on a NO-GO the window stops before anything changes, the rollback is not rehearsed, the report still names the deciding check; make exits 2 on any verdict but GO (FAULT=: but the one the matrix demands), the verdict's own code is in the run's summary.json and python -m gate.console <run> prints it
	$(PY) -m rehearse $(if $(FAULT),--fault $(FAULT))
rollback-rehearsal: bootstrap bootstrap-containers ## the latest verified backup → disposable PG → window up to the import → rollback_production.sh → RBK-01..03
	$(PY) -m rehearse rollback
fault-matrix: bootstrap bootstrap-containers report-tools ## every injected fault of the rehearsal, each asserted against its Rollback Decision Matrix verdict, JOBS at once (default 4) each on its own disposable server (MATRIX_SHARED_SERVER=on: one shared, each fault in its own databases) (ONLY=a,b)
	$(PY) -m rehearse matrix $(if $(ONLY),--only $(ONLY)) $(if $(JOBS),--jobs $(JOBS))

.PHONY: serve
serve: bootstrap ## the reference backend on a disposable PostgreSQL at v13.4 with sample data (Ctrl-C stops)
	$(PY) backend/scripts/serve.py
