# SpineQuiz: make run | make serve | make test | make bench | make lint | make clean
# Works on a fresh clone: finds a Python >= 3.12, makes .venv and installs into it.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYENV_ROOT ?= $(HOME)/.pyenv
CHROMIUM := /usr/bin/chromium
PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
PG_URL ?= postgres://root@$(PG_HOST):$(PG_PORT)/spinequiz
PYTEST_ARGS ?=
# Every core: pytest-xdist gives each worker its own test database.
XDIST ?= -n auto
# Fails, saying why, when no PostgreSQL server answers for PG_URL.
PG_PING := import os, sys, psycopg; sys.tracebacklimit = 0; psycopg.connect(os.environ["PG_URL"], dbname="postgres", connect_timeout=5).close()

.PHONY: help install run serve test test-fast test-sqlite test-postgres test-slow chromium bench lint format clean

help:
	@echo "make run      install, migrate, load the spine fact base and demo accounts, serve on http://127.0.0.1:8000"
	@echo "make serve    the production-like stack: collected static files, gunicorn on 127.0.0.1:8000"
	@echo "make test     install, then run the tests on SQLite and on PostgreSQL, then the slow ones on both"
	@echo "              at once (PYTEST_ARGS=... passed to every step; XDIST= for one process)"
	@echo "make test-sqlite, make test-postgres  one database, its slow tests included"
	@echo "make test-fast  the inner loop: SQLite, no browser and no slow tests, on every core"
	@echo "make bench    run the benchmarks"
	@echo "make lint     ruff check and ruff format --check"
	@echo "make format   ruff format and ruff check --fix"
	@echo "make clean    remove .venv, db.sqlite3 and staticfiles"

install: $(STAMP)

# One recipe makes the venv (when it is missing or its Python no longer runs)
# and installs; it re-runs only when pyproject.toml changes.
$(STAMP): pyproject.toml
	@if ! $(PY) -c '' >/dev/null 2>&1; then \
	  found=""; py=""; \
	  candidates=(python3.13 python3.12); \
	  if command -v pyenv >/dev/null 2>&1 && pyenv_py="$$(pyenv which python3 2>/dev/null)"; then \
	    candidates+=("$$pyenv_py"); \
	  fi; \
	  candidates+=($$(ls -d $(PYENV_ROOT)/versions/3.13*/bin/python3 2>/dev/null | sort -rV || true)); \
	  candidates+=($$(ls -d $(PYENV_ROOT)/versions/3.12*/bin/python3 2>/dev/null | sort -rV || true)); \
	  candidates+=(python3); \
	  for c in "$${candidates[@]}"; do \
	    command -v "$$c" >/dev/null 2>&1 || continue; \
	    if "$$c" -c 'import sys; raise SystemExit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	      py="$$("$$c" -c 'import sys; print(sys.executable)')"; break; \
	    fi; \
	    found="$$found\n  $$c: $$("$$c" --version 2>&1 | head -n 1)"; \
	  done; \
	  if [ -z "$$py" ]; then \
	    { echo "ERROR: SpineQuiz needs Python 3.12 or newer (Django 6.1 does), and none was found."; \
	      echo -e "Tried python3.13, python3.12, pyenv and python3; found:$${found:-\n  nothing}"; \
	      echo "Get one with pyenv ('pyenv install 3.13', then run make again),"; \
	      echo "with your system's packages (e.g. 'apt-get install python3.13' where the release has it),"; \
	      echo "or from https://www.python.org/downloads/"; } >&2; \
	    exit 1; \
	  fi; \
	  echo "==> Creating $(VENV) with $$py ($$("$$py" --version))"; \
	  rm -rf $(VENV); \
	  "$$py" -m venv $(VENV); \
	fi
	@echo "==> Installing SpineQuiz and its dev tools into $(VENV)"
	$(PY) -m pip install --disable-pip-version-check --quiet -e ".[dev]"
	@touch $@

run: export DEBUG := 1
run: install
	$(PY) manage.py migrate
	$(PY) manage.py load_factbase
	$(PY) manage.py generate_questions
	$(PY) manage.py create_demo
	$(PY) manage.py progress_rebuild
	@# The task worker runs beside the web server and stops with it.
	@$(PY) manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null || true' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

# Production-like: DEBUG off, hashed and compressed static files served by
# WhiteNoise, gunicorn (gunicorn.conf.py) and one task worker against
# DATABASE_URL (SQLite by default). Without SECRET_KEY in the environment a local one is made once and
# kept in .secret_key. TLS is the load balancer's job, so on plain loopback
# HTTP the redirect to HTTPS is off unless SECURE_SSL_REDIRECT says otherwise.
serve: install
	@if [ -z "$${SECRET_KEY:-}" ] && [ ! -s .secret_key ]; then \
	  echo "==> No SECRET_KEY in the environment: making a local one in .secret_key"; \
	  $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > .secret_key; \
	fi
	@export SECRET_KEY="$${SECRET_KEY:-$$(cat .secret_key)}" SECURE_SSL_REDIRECT="$${SECURE_SSL_REDIRECT:-0}"; \
	$(PY) manage.py collectstatic --noinput --verbosity 0 \
	  && $(PY) manage.py migrate --verbosity 1 \
	  && $(PY) manage.py load_factbase \
	  && $(PY) manage.py generate_questions \
	  && $(PY) manage.py progress_rebuild \
	  && { $(PY) manage.py db_worker --no-reload & worker=$$!; \
	       trap 'kill $$worker 2>/dev/null || true' EXIT INT TERM; \
	       $(PY) -m gunicorn --config gunicorn.conf.py; }

# The suite on SQLite, then on PostgreSQL; then the slow tests (pyproject leaves them out
# by default) in a step of their own, on both databases at once: each database's two slow
# tests are one long benchmark run and one shorter demo, so run one database after the
# other they left a core idle for half the step.
test: install chromium
	@$(MAKE) --no-print-directory test-sqlite SLOW=
	@$(MAKE) --no-print-directory test-postgres SLOW=
	@$(MAKE) --no-print-directory test-slow

SLOW ?= yes
SQLITE_PYTEST := env -u DATABASE_URL $(PY) -m pytest $(XDIST)
POSTGRES_PYTEST = DATABASE_URL='$(PG_URL)' $(PY) -m pytest $(XDIST)
# Exit status 5 of a slow step: PYTEST_ARGS chose files with no slow test in them.
NO_SLOW_TEST_CHOSEN := [ $$? = 5 ]
# Prints "yes" when PostgreSQL answers at PG_URL. Without a server, CI fails here, loudly;
# elsewhere a notice says the PostgreSQL run is skipped, and it prints "no".
PG_ANSWERS = if PG_URL='$(PG_URL)' $(PY) -c '$(PG_PING)'; then echo yes; \
  elif [ "$${CI:-}" = true ]; then \
    echo "ERROR: PostgreSQL not reachable at $(PG_HOST):$(PG_PORT); CI must run the tests on PostgreSQL too." >&2; \
    exit 1; \
  else \
    { echo "********************************************************************************"; \
      echo "NOTICE: PostgreSQL not reachable at $(PG_HOST):$(PG_PORT): PostgreSQL run SKIPPED"; \
      echo "********************************************************************************"; } >&2; \
    echo no; \
  fi

# SLOW= leaves out the slow step (make test runs it for both databases at once).
test-sqlite: install
	@echo "==> pytest on SQLite"
	$(SQLITE_PYTEST) $(PYTEST_ARGS)
	@if [ -n "$(SLOW)" ]; then \
	  echo "==> pytest on SQLite: the slow tests"; \
	  $(SQLITE_PYTEST) -m slow $(PYTEST_ARGS) || $(NO_SLOW_TEST_CHOSEN); \
	fi

# A developer's inner loop: SQLite, without the browser and the slow tests.
test-fast: install
	env -u DATABASE_URL $(PY) -m pytest $(XDIST) -m 'not slow and not browser' $(PYTEST_ARGS)

# pytest-django creates (and drops) test_spinequiz on that server, one per xdist worker
# (test_spinequiz_gw0, test_spinequiz_gw1, ...): give each checkout its own PG_URL name.
test-postgres: install
	@pg=$$($(PG_ANSWERS)); [ "$$pg" = yes ] || exit 0; \
	echo "==> pytest on PostgreSQL ($(PG_URL))"; \
	$(POSTGRES_PYTEST) $(PYTEST_ARGS); \
	if [ -n "$(SLOW)" ]; then \
	  echo "==> pytest on PostgreSQL ($(PG_URL)): the slow tests"; \
	  $(POSTGRES_PYTEST) -m slow $(PYTEST_ARGS) || $(NO_SLOW_TEST_CHOSEN); \
	fi

# The slow tests of both databases side by side, each one's output kept and shown whole.
test-slow: install
	@pg=$$($(PG_ANSWERS)); out=$$(mktemp -d); \
	echo "==> pytest on SQLite and on PostgreSQL at once: the slow tests"; \
	$(SQLITE_PYTEST) -m slow $(PYTEST_ARGS) > $$out/sqlite 2>&1 & sqlite=$$!; \
	if [ "$$pg" = yes ]; then $(POSTGRES_PYTEST) -m slow $(PYTEST_ARGS) > $$out/postgres 2>&1 & postgres=$$!; fi; \
	failed=""; \
	wait $$sqlite || $(NO_SLOW_TEST_CHOSEN) || failed="$$failed SQLite"; \
	echo "==> the slow tests on SQLite"; cat $$out/sqlite; \
	if [ "$$pg" = yes ]; then \
	  wait $$postgres || $(NO_SLOW_TEST_CHOSEN) || failed="$$failed PostgreSQL"; \
	  echo "==> the slow tests on PostgreSQL ($(PG_URL))"; cat $$out/postgres; \
	fi; \
	rm -rf $$out; \
	if [ -n "$$failed" ]; then echo "ERROR: slow tests failed on:$$failed" >&2; exit 1; fi

# The browser tests use Debian's Chromium: Playwright cannot fetch its own here.
chromium:
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then sudo="sudo"; \
	else sudo="none"; fi; \
	if [ "$$sudo" != none ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "==> Installing Chromium for the browser tests (apt-get install chromium)"; \
	  $$sudo apt-get -q -o DPkg::Lock::Timeout=300 update \
	    && DEBIAN_FRONTEND=noninteractive $$sudo apt-get -q -y -o DPkg::Lock::Timeout=300 install chromium \
	    || true; \
	fi; \
	if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if [ "$${CI:-}" = true ]; then \
	  echo "ERROR: $(CHROMIUM) is missing and could not be installed; CI must run the browser tests." >&2; \
	  exit 1; \
	fi; \
	echo "********************************************************************************"; \
	echo "NOTICE: $(CHROMIUM) is missing and could not be installed (needs root or sudo"; \
	echo "and apt-get): the browser tests will be SKIPPED. Install it with:"; \
	echo "  sudo apt-get install chromium"; \
	echo "********************************************************************************"

bench: install
	$(PY) bench/run.py

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles
