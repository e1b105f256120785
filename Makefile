# The reform portal's commands: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the suite.
# Needs only python3 (>= 3.11) and make; everything else is installed into .venv.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# pip re-installs only when pyproject.toml is newer than this file, so reruns are fast.
STAMP := $(VENV)/.installed

# Where tests write screenshots and other artefacts; exported so the tests read the same value.
TEST_OUTPUT_DIR ?= test-output
# Scale of `make bench` (workers in the registry), exported for bench/run.sh.
BENCH_WORKERS ?= 3500000
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-k districts -x"`.
PYTEST_ARGS ?=
# Where `make backup` writes database dumps, and the dump `make restore` reads.
BACKUP_DIR ?= backups
BACKUP ?=
export TEST_OUTPUT_DIR BENCH_WORKERS BACKUP_DIR

# Tests that need a real service; deselected unless DATABASE_URL points at PostgreSQL.
SERVICE_MARKERS := not postgres and not redis and not celery_worker and not browser

.DEFAULT_GOAL := help
.PHONY: help venv run test lint format bench messages backup restore check-python

help:
	@echo "make run       install into .venv, migrate, set up roles and demo accounts, serve on 127.0.0.1:8000"
	@echo "make test      run the test suite (service tests only when DATABASE_URL=postgres://...)"
	@echo "make lint      ruff check + ruff format --check + import contracts (lint-imports) + mypy"
	@echo "make format    ruff check --fix + ruff format"
	@echo "make bench     city-scale benchmarks (BENCH_WORKERS=$(BENCH_WORKERS))"
	@echo "make messages  update and compile the zh_Hans translations"
	@echo "make backup    dump the database (compose stack, or DATABASE_URL) into BACKUP_DIR=$(BACKUP_DIR)"
	@echo "make restore   restore BACKUP=path/to/file.dump into an empty database (compose stack, or DATABASE_URL)"

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
		echo "error: the portal needs Python >= 3.11, but '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing)." >&2; \
		echo "       Install Python 3.11+ or run: make $(MAKECMDGOALS) PYTHON=/path/to/python3.11" >&2; \
		exit 1; }

$(PY): | check-python
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_roles
	$(PY) manage.py seed_city --workers 2000 --if-empty
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

# pytest's exit code 5 means nothing was collected: a broken selection, never a pass.
test: venv
	@mkdir -p "$(TEST_OUTPUT_DIR)"
	@case "$${DATABASE_URL:-}" in \
		postgres*) echo "make test: DATABASE_URL is PostgreSQL, running every test"; set -- ;; \
		*) echo "make test: embedded default, deselecting: $(SERVICE_MARKERS)"; set -- -m "$(SERVICE_MARKERS)" ;; \
	esac; \
	rc=0; $(PY) -m pytest "$$@" $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: FAILED, pytest collected no tests (exit code 5)" >&2; fi; \
	exit $$rc

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: venv
	bash bench/run.sh

messages: venv
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=staticfiles --ignore=test-output --ignore=tests --ignore=bench
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=staticfiles

# Both work on the compose stack's `db` service, or on DATABASE_URL when it is set (scripts/*.sh).
backup:
	bash scripts/backup.sh

restore:
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=$(BACKUP_DIR)/portal-YYYYMMDD-HHMMSS.dump" >&2; exit 2; }
	bash scripts/restore.sh "$(BACKUP)"
