# Ventanilla Única: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test setup setup-test assets translations migrate demo idp lint bench integrity clean

## make run: set everything up, load demo data, start the local digital ID and the portal.
run: setup migrate demo
	@bash scripts/run-dev.sh

## make test: install what the tests need (Chromium, PostgreSQL included) and run the whole suite.
test: setup-test
	@bash scripts/run-tests.sh

setup: $(VENV)/.installed node_modules/.installed assets translations

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet $$($(PY) scripts/deps.py)
	@touch $@

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

lint: setup
	$(VENV)/bin/ruff check portal tests bench migrations

clean:
	rm -rf $(VENV) node_modules static/vendor instance .pytest_cache
