#!/usr/bin/env bash
# Run a command (the app) with Janus, the expert room's SFU, beside it when Janus is installed:
# writes the configuration into $JANUS_DIR (default instance/janus) from scripts/janus/*.jcfg.in,
# starts Janus on loopback, exports the JANUS_* settings, and stops Janus when the command ends.
# Without Janus the command runs alone and the expert room uses the browser mesh.
#   JANUS_HTTP_PORT (8088), JANUS_ADMIN_PORT (7088), JANUS_ICE ("lo"; your interface on a network),
#   JANUS_RTP_PORTS (20000-20999), JANUS_TURN_SERVER/_PORT/_TYPE/_USER/_PASSWORD (see README).
set -uo pipefail
if ! command -v janus >/dev/null; then
  echo "Janus is not installed (Debian package janus): the expert room uses the browser mesh"
  exec "$@"
fi
dir=${JANUS_DIR:-instance/janus}
py=$(command -v .venv/bin/python || command -v python3)
if ! "$py" scripts/janus_conf.py "$dir" --http-port "${JANUS_HTTP_PORT:-8088}" --admin-port "${JANUS_ADMIN_PORT:-7088}" \
    --ice "${JANUS_ICE:-lo}" --rtp "${JANUS_RTP_PORTS:-20000-20999}" >/dev/null; then
  echo "Janus configuration failed: the expert room uses the browser mesh"
  exec "$@"
fi
set -a; . "$dir/janus.env"; set +a
janus --config="$dir/janus.jcfg" --configs-folder="$dir" --disable-colors --log-file="$dir/janus.log" \
  --disable-stdout >/dev/null 2>&1 &
janus_pid=$!
trap 'kill "$janus_pid" 2>/dev/null; wait "$janus_pid" 2>/dev/null' EXIT INT TERM
for _ in $(seq 50); do
  curl -s -m 1 -d "{\"janus\":\"ping\",\"transaction\":\"up\",\"admin_secret\":\"$JANUS_ADMIN_SECRET\"}" \
    "$JANUS_ADMIN_URL" | grep -q pong && break
  sleep 0.2
done
echo "Janus on $JANUS_URL (admin $JANUS_ADMIN_URL, log $dir/janus.log)"
"$@"
