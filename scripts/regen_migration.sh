#!/usr/bin/env bash
# Regenerate the single initial migration from the models (allowed while nothing is deployed:
# once a release ships, new migrations are added on top instead).
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/hospital-regen-migration.lock
flock 9  # several engineers may regenerate at once
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f migrations/versions/*.py
DATABASE_URL="sqlite:///$tmp/empty.db" .venv/bin/flask --app app db migrate -m "initial schema" --rev-id 0001 >/dev/null 2>&1
DATABASE_URL="sqlite:///$tmp/empty.db" .venv/bin/flask --app app db upgrade >/dev/null
echo "migrations/versions/0001_initial_schema.py regenerated and applied to an empty database"
