# Ardoise: `make run` installs and serves the demo, `make test` runs the test suite.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
UV_VERSION := 0.13.9
# The first Python >= 3.12 found; override with `make run PYTHON=/path/to/python3.13`.
PYTHON ?= $(shell for candidate in python3.14 python3.13 python3.12 python3; do \
	command -v $$candidate >/dev/null 2>&1 && $$candidate -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { command -v $$candidate; break; }; done)
# Links in e-mails and on the customer portal point at the address being served, unless the
# environment names a public one (e.g. behind a reverse proxy).
export ARDOISE_BASE_URL ?= http://$(HOST):$(PORT)
export UV_PYTHON := $(abspath $(BIN)/python)
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))

.PHONY: run install install-dev migrate setup serve worker test test-postgres lint bench messages clean

run: install migrate setup serve

$(BIN)/uv:
	@test -n "$(PYTHON)" || { echo "Erreur : Python 3.12 ou plus récent est introuvable. Installez-le (https://www.python.org) puis relancez."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(BIN)/uv
	$(BIN)/uv sync --frozen --no-dev --inexact --quiet

install-dev: $(BIN)/uv
	$(BIN)/uv sync --frozen --all-groups --quiet

migrate:
	$(BIN)/ardoise migrate --noinput -v0
	$(BIN)/ardoise collectstatic --noinput -v0

setup:
	$(BIN)/ardoise setup --demo

# The worker runs in the background beside gunicorn and never outlives it. Ctrl+C
# reaches both (one process group): the INT trap waits for the worker to finish its
# current task. When gunicorn stops on its own (it could not bind the port, say), the
# EXIT trap stops the worker with TERM, because a worker still starting ignores INT
# as background commands of a script do; a task it interrupts is taken again later.
serve:
	@echo "Ardoise écoute sur http://$(HOST):$(PORT)/ (Ctrl+C pour arrêter)"
	@$(BIN)/ardoise worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	trap 'trap - EXIT; wait $$worker; exit 130' INT; \
	trap 'exit 143' TERM; \
	$(BIN)/gunicorn ardoise.wsgi --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile - --log-level warning

# The worker alone, e.g. on a second machine: see "Several machines" in README.md.
worker:
	$(BIN)/ardoise worker

test: install-dev
	$(BIN)/ardoise makemigrations --check --dry-run -v0
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: install-dev
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test} $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check ardoise tests bench
	$(BIN)/ruff format --check ardoise tests bench
	$(BIN)/mypy ardoise

bench: install-dev
	$(BIN)/python bench/run.py

# The French catalogue repeats each French source string, so that Django applies
# the French plural rule (0 and 1 take the singular); needs GNU gettext.
messages: install-dev
	rm -f ardoise/locale/fr/LC_MESSAGES/django.po
	cd ardoise && ../$(BIN)/ardoise makemessages -l fr --no-location --no-obsolete -v0 --ignore "migrations/*"
	msgen --force-po ardoise/locale/fr/LC_MESSAGES/django.po -o ardoise/locale/fr/LC_MESSAGES/django.po
	$(BIN)/python scripts/french_catalogue_header.py ardoise/locale/fr/LC_MESSAGES/django.po
	$(BIN)/ardoise compilemessages -l fr -v0

clean:
	rm -rf $(VENV) var/static
