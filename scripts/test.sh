#!/usr/bin/env bash
# The test command: set up everything a fresh Debian machine lacks, then run lint, format
# check and the whole suite (browser tests included) on the real PostgreSQL and Redis.
# Exits non-zero on any failure.
#
# DATABASE_URL / REDIS_URL may point elsewhere (each developer their own database and Redis
# db); pytest-django creates and drops test_<name>. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/p2p}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/15}"
export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}"
# Tests run tasks eagerly unless a test starts its own worker; an inherited broker would
# send them to whatever worker happens to listen there.
unset CELERY_BROKER_URL

if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's chromium for the browser tests"
  as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null \
    || [ -x /usr/bin/chromium ]
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "Starting PostgreSQL"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  wait_for 30 pg_isready -q -h 127.0.0.1 -p 5432
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "Starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  wait_for 30 redis-cli -h 127.0.0.1 -p 6379 ping
fi

ensure_venv

echo "ruff check"
.venv/bin/ruff check .
echo "ruff format --check"
.venv/bin/ruff format --check .

echo "pytest on $DATABASE_URL and $REDIS_URL"
start=$(date +%s)
.venv/bin/pytest -q "$@"
echo "Suite passed in $(($(date +%s) - start)) s"
