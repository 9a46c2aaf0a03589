# factcheck — developer commands. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell ls -d $$(pyenv root 2>/dev/null)/versions/3.12.*/bin/python3 2>/dev/null | sort -V | tail -1 || command -v python3.12)
VENV := .venv
PY := $(VENV)/bin/python
# Development defaults; override on the command line or in the environment.
export DEBUG ?= true
HOST ?= 127.0.0.1:8000

.PHONY: help install run migrate seed test lint format check ci clean bench

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 not found (pyenv install 3.12 or set PYTHON=/path/to/python3.12)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

install: $(VENV)/.installed ## Create .venv and install pinned dependencies

migrate: install ## Apply database migrations
	$(PY) manage.py migrate --noinput

seed: migrate ## Create the demo project and users, import seeds/ (DEBUG only)
	$(PY) manage.py seed_demo

run: seed ## Set up everything and serve on http://127.0.0.1:8000
	@echo "Serving on http://$(HOST)/ — log in with a demo user printed above."
	$(PY) manage.py runserver $(HOST)

test: install ## Run the whole test suite (pytest)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install ## ruff, import-linter contracts, OpenAPI schema without warnings, migrations up to date
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py spectacular --fail-on-warn --file /dev/null
	$(PY) manage.py makemigrations --check --dry-run

format: install ## Auto-fix lint and format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install ## Production config on loopback (PostgreSQL, Redis), the span workload, bench/results/*.jsonl
	$(PY) bench/run.py $(BENCH_ARGS)

ci: ## What CI runs (.ci/run): real PostgreSQL, Redis, Celery worker, Chromium
	bash .ci/run

clean: ## Remove the venv, local SQLite databases and caches
	rm -rf $(VENV) db.sqlite3 test_db.sqlite3 .pytest_cache .ci-tmp staticfiles
