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

lint: bootstrap ## ruff
	.venv/bin/ruff check .

test: bootstrap ## the project's own tests
	.venv/bin/ruff check .
	$(PYTEST) -p no:cacheprovider tests/ backend/
