#!/usr/bin/env bash
# Run a command with a PostgreSQL and a Redis server on loopback when they are installed, and
# export TEST_POSTGRES_URL / TEST_REDIS_URL for the tests that need them; stop them afterwards.
set -uo pipefail
work=$(mktemp -d /tmp/hospital-services.XXXXXX)
chmod 755 "$work"
cleanup() {
  [ -n "${PG_BIN:-}" ] && run_pg "$PG_BIN/pg_ctl" -D "$work/pg" -m fast stop >/dev/null 2>&1
  [ -n "${REDIS_PID:-}" ] && kill "$REDIS_PID" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

run_pg() {  # PostgreSQL refuses to run as root: use the postgres user when we are root
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  [ "$(id -u)" -eq 0 ] && chown postgres "$work"
  if run_pg "$PG_BIN/initdb" -D "$work/pg" -U hospital --auth=trust >/dev/null 2>&1 &&
     run_pg "$PG_BIN/pg_ctl" -D "$work/pg" -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c max_connections=300" -l "$work/pg.log" -w start >/dev/null; then
    export TEST_POSTGRES_URL="postgresql+psycopg://hospital@127.0.0.1:$port/postgres"
    echo "PostgreSQL on 127.0.0.1:$port"
  else
    echo "PostgreSQL could not start; its tests will be skipped"; PG_BIN=""
  fi
else
  PG_BIN=""
fi

if command -v redis-server >/dev/null; then
  rport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no >"$work/redis.log" 2>&1 &
  REDIS_PID=$!
  export TEST_REDIS_URL="redis://127.0.0.1:$rport/0"
  echo "Redis on 127.0.0.1:$rport"
fi

"$@"
