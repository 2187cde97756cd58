#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback, owned by the test run.
#   source scripts/postgres.sh start   -> exports TEST_POSTGRES_URL
#   scripts/postgres.sh stop DIR
# Strict mode only when run, not when sourced: it would leak into the caller's shell.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then set -euo pipefail; fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

start() {
  local dir port
  dir=$(mktemp -d /tmp/vu-pg-XXXXXX)
  chmod 755 "$dir"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$dir"
    as_pg() { su postgres -s /bin/bash -c "$*"; }
  else
    as_pg() { bash -c "$*"; }
  fi
  as_pg "$bin/initdb -D $dir/data -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null"
  as_pg "$bin/pg_ctl -D $dir/data -l $dir/log -o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200' -w start >/dev/null"
  as_pg "$bin/createdb -h 127.0.0.1 -p $port -U postgres portal_test"
  export TEST_POSTGRES_DIR="$dir"
  export TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/portal_test"
}

stop() {
  local dir=$1
  [ -d "$dir/data" ] || return 0
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -s /bin/bash -c "$bin/pg_ctl -D $dir/data -m fast -w stop >/dev/null" || true
  else
    "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "$2" ;;
  *) echo "uso: source scripts/postgres.sh start | scripts/postgres.sh stop DIR" >&2; exit 2 ;;
esac
