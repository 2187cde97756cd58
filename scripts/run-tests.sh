#!/usr/bin/env bash
# The whole suite: every test on SQLite (end-to-end tests in Chromium included),
# then every database-facing test again on a real PostgreSQL server.
# pytest's exit status 5 (no tests collected) fails the run like any other.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

source scripts/postgres.sh start
trap 'bash scripts/postgres.sh stop "$TEST_POSTGRES_DIR"' EXIT

echo "== SQLite =="
$PY -m pytest -p no:cacheprovider -q "$@"

echo "== PostgreSQL =="
TEST_DATABASE_URL="$TEST_POSTGRES_URL" $PY -m pytest -p no:cacheprovider -q -m "not e2e" "$@"
