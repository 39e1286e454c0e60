#!/usr/bin/env bash
# The internet hospital as a cluster on one machine: nginx in front of N app processes
# (`python app.py`, gevent), Redis as the Socket.IO message queue and the rate-limit store,
# PostgreSQL as the database, and the periodic tasks in process 1 only (RUN_TASKS=1 there).
#
#   bash scripts/run-cluster.sh [N]        (make run-cluster N=4)
#
# Settings (environment):
#   DATABASE_URL   PostgreSQL to use; unset: a throw-away one is started (scripts/with-services.sh)
#   REDIS_URL      Redis to use; unset: a throw-away one is started
#   CLUSTER_PORT   nginx's port on 127.0.0.1 (default 8080; 0 picks a free one)
#   SEED           0 to skip `flask db upgrade` + `flask seed-demo` (default 1)
# Sticky sessions: nginx gives each browser a `hospital_node` cookie and hashes on it, so a
# Socket.IO long-polling session stays on the process that holds it (WebSockets are one
# connection anyway). Each response names its process in X-Served-By. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2}
PY=${PY:-.venv/bin/python}

if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
  if [ -z "${TEST_POSTGRES_URL:-}" ] && [ -z "${RUN_CLUSTER_INNER:-}" ]; then
    RUN_CLUSTER_INNER=1 exec bash scripts/with-services.sh bash "$0" "$@"
  fi
  export DATABASE_URL=${DATABASE_URL:-${TEST_POSTGRES_URL:?PostgreSQL is not installed (make system-deps)}}
  export REDIS_URL=${REDIS_URL:-${TEST_REDIS_URL:?Redis is not installed (make system-deps)}}
fi
command -v nginx >/dev/null || { echo "nginx is not installed (make system-deps)"; exit 1; }

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d /tmp/hospital-cluster.XXXXXX)
chmod 755 "$work"
pids=()
stop() {
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 0' INT TERM

LISTEN=${CLUSTER_PORT:-8080}
[ "$LISTEN" = 0 ] && LISTEN=$(free_port)
export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://127.0.0.1:$LISTEN}
export SOCKETIO_MESSAGE_QUEUE=$REDIS_URL RATELIMIT_STORAGE_URI=$REDIS_URL PROXY_COUNT=1

if [ "${SEED:-1}" = 1 ]; then
  .venv/bin/flask --app app db upgrade >"$work/migrate.log" 2>&1
  .venv/bin/flask --app app seed-demo >"$work/seed.log" 2>&1
fi

servers=""
for n in $(seq 1 "$N"); do
  port=$(free_port)
  RUN_TASKS=$([ "$n" = 1 ] && echo 1 || echo 0) HOST=127.0.0.1 PORT=$port \
    "$PY" app.py >"$work/app$n.log" 2>&1 &
  pids+=($!)
  servers+="    server 127.0.0.1:$port max_fails=0;\n"
  echo "app process $n: pid $! on 127.0.0.1:$port$([ "$n" = 1 ] && echo ' (runs the periodic tasks)')"
done

mkdir -p "$work/tmp"
chmod 777 "$work/tmp"
user_line=$([ "$(id -u)" -eq 0 ] && echo "user nobody nogroup;" || echo "")
printf '%b' "$user_line
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000;  # a browser or load balancer keeps its connection (default 1000)
  client_body_temp_path $work/tmp/body;
  proxy_temp_path $work/tmp/proxy;
  fastcgi_temp_path $work/tmp/fastcgi;
  uwsgi_temp_path $work/tmp/uwsgi;
  scgi_temp_path $work/tmp/scgi;
  client_max_body_size 8m;
  # Sticky: a browser keeps the hospital_node value nginx gave it, and the hash of that value
  # picks its process (a new browser gets a random one).
  map \$cookie_hospital_node \$node_key { \"\" \$request_id; default \$cookie_hospital_node; }
  map \$cookie_hospital_node \$node_cookie { \"\" \"hospital_node=\$request_id; Path=/; HttpOnly; SameSite=Lax\"; default \"\"; }
  map \$http_upgrade \$connection_upgrade { default upgrade; \"\" \"\"; }
  upstream hospital {
    hash \$node_key consistent;
$servers    keepalive 64;
  }
  server {
    listen 127.0.0.1:$LISTEN;
    proxy_http_version 1.1;
    proxy_set_header Host \$http_host;
    proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto \$scheme;
    proxy_set_header Upgrade \$http_upgrade;
    proxy_set_header Connection \$connection_upgrade;
    proxy_read_timeout 3600s;
    proxy_buffering off;
    add_header Set-Cookie \$node_cookie always;
    add_header X-Served-By \$upstream_addr always;
    location / { proxy_pass http://hospital; }
  }
}
" >"$work/nginx.conf"

for n in $(seq 1 "$N"); do  # wait for every process to answer before nginx sends it anything
  port=$(grep -oE '127\.0\.0\.1:[0-9]+' <<<"$(printf '%b' "$servers")" | sed -n "${n}p" | cut -d: -f2)
  for _ in $(seq 1 150); do
    curl -fs "http://127.0.0.1:$port/ping" >/dev/null 2>&1 && break
    kill -0 "${pids[$((n - 1))]}" 2>/dev/null || { echo "app process $n exited:"; cat "$work/app$n.log"; exit 1; }
    sleep 0.2
  done
done
nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" &
pids+=($!)
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$LISTEN/ping" >/dev/null 2>&1 && break; sleep 0.1; done
echo "Cluster ready on http://127.0.0.1:$LISTEN ($N processes; logs in $work)"
wait
