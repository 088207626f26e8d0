#!/usr/bin/env bash
# The run command: install into .venv, migrate, seed a demo organization, start the server
# (plus a Celery worker and beat when CELERY_BROKER_URL is set; otherwise tasks run eagerly)
# and a local Twilio simulator, then print the URL and the demo login. Ctrl-C stops it all.
#
# Defaults to the embedded SQLite database; set DATABASE_URL (and CELERY_BROKER_URL) to run
# on PostgreSQL and Redis. DEMO_SCALE=S|M|L picks the size of the demo history.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
SIMULATOR_PORT="${SIMULATOR_PORT:-8101}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://$HOST:$PORT}"
export TWILIO_API_BASE_URL="${TWILIO_API_BASE_URL:-http://127.0.0.1:$SIMULATOR_PORT}"

ensure_venv
manage() { .venv/bin/python manage.py "$@"; }

manage migrate --noinput --verbosity 0
manage collectstatic --noinput --verbosity 0
echo "Seeding the demo organization (scale ${DEMO_SCALE:-S})"
seed_log="$(mktemp)"
manage seed_demo --scale "${DEMO_SCALE:-S}" | tee "$seed_log"
login="$(grep '^admin: ' "$seed_log" | tail -1 | sed 's/^admin: //')"
rm -f "$seed_log"

children=()
stop_children() {
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_children EXIT INT TERM

if [ "${TWILIO_API_BASE_URL}" = "http://127.0.0.1:$SIMULATOR_PORT" ]; then
  manage twilio_simulator --port "$SIMULATOR_PORT" &
  children+=($!)
fi
if [ -n "${CELERY_BROKER_URL:-}" ]; then
  .venv/bin/celery -A p2p_admin worker --loglevel WARNING --concurrency 2 &
  children+=($!)
  .venv/bin/celery -A p2p_admin beat --loglevel WARNING --schedule "$(mktemp -d)/celerybeat-schedule" &
  children+=($!)
fi

# One process with threads: the embedded SQLite database takes one writer at a time.
.venv/bin/gunicorn p2p_admin.wsgi:application --bind "$HOST:$PORT" --workers 1 --threads 8 --timeout 120 \
  --log-level warning &
children+=($!)
wait_for 30 .venv/bin/python -c "import urllib.request; urllib.request.urlopen('http://$HOST:$PORT/login/', timeout=2)"

cat <<INFO

  P2P Admin demo is running at  http://$HOST:$PORT/
  Log in as                     ${login:-admin@demo.p2p.example / password demo-admin-pass}
  API docs                      http://$HOST:$PORT/api/v1/docs/

  Ctrl-C stops the server$([ -n "${CELERY_BROKER_URL:-}" ] && echo ", the worker and beat").
INFO
wait "${children[-1]}"
