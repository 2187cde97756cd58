#!/usr/bin/env bash
# The whole suite: every test on SQLite (end-to-end tests in Chromium included),
# then every database-facing test again on a real PostgreSQL server.
# Both passes run on two processes (pytest-xdist, one per core); each process has
# its own SQLite files and its own PostgreSQL database (tests/conftest.py).
# pytest's exit status 5 (no tests collected) fails the run like any other.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
WORKERS="${TEST_WORKERS:-2}"

source scripts/postgres.sh start
trap 'bash scripts/postgres.sh stop "$TEST_POSTGRES_DIR"' EXIT

echo "== SQLite =="
$PY -m pytest -p no:cacheprovider -q -n "$WORKERS" "$@"

echo "== PostgreSQL =="
TEST_DATABASE_URL="$TEST_POSTGRES_URL" $PY -m pytest -p no:cacheprovider -q -n "$WORKERS" -m "not e2e" "$@"
