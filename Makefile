# Ventanilla Única: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test setup setup-test assets translations migrate demo idp lint lock bench integrity clean

## make run: set everything up, load demo data, start the local digital ID and the portal.
run: setup migrate demo
	@bash scripts/run-dev.sh

## make test: install what the tests need (Chromium, PostgreSQL included), lint, run the whole suite.
test: setup-test lint
	@bash scripts/run-tests.sh

setup: $(VENV)/.installed node_modules/.installed assets translations

# Every dependency, direct or not, at the version and hashes in requirements.lock.
$(VENV)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	@touch $@

## make lock: pin pyproject.toml's dependencies and everything they need, with hashes.
lock:
	$(PYTHON) -m venv .lock-venv && .lock-venv/bin/pip install --quiet uv==0.13.8
	.lock-venv/bin/uv pip compile pyproject.toml --extra test --generate-hashes \
		--python-version 3.11 --no-header --index-url https://pypi.org/simple -o requirements.lock
	rm -rf .lock-venv

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

assets: node_modules/.installed
	@mkdir -p static/vendor
	@cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	@cp node_modules/jsqr/dist/jsQR.js static/vendor/jsQR.js

translations: $(VENV)/.installed
	@$(VENV)/bin/pybabel compile --statistics -d portal/translations

setup-test: setup
	@bash scripts/install-system-packages.sh

migrate: setup
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo-data

## make integrity: the integrity property test with many examples (EXAMPLES=500 STEPS=40), with its figures.
integrity: setup
	$(PY) bench/integrity.py --examples $(or $(EXAMPLES),500) --steps $(or $(STEPS),40)

## make lint: ruff's checks and formatting, and mypy on the portal's packages.
lint: setup
	$(VENV)/bin/ruff check portal tests bench migrations scripts wsgi.py
	$(VENV)/bin/ruff format --check portal tests bench migrations scripts wsgi.py
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) node_modules static/vendor instance .pytest_cache
