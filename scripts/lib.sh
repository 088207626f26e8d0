# Shared by scripts/demo.sh and scripts/test.sh (sourced, not run).

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Create .venv with Python 3.11+ when missing and install requirements.txt into it. The install
# is skipped when requirements.txt has not changed since the last one (a stamp in .venv).
ensure_venv() {
  if [ ! -x .venv/bin/python ]; then
    local python
    python="$(command -v python3.11 || command -v python3 || true)"
    if [ -z "$python" ] || ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      echo "Python 3.11 or newer is needed (python3.11 or python3 on PATH)." >&2
      exit 1
    fi
    echo "Creating .venv with $("$python" --version)"
    "$python" -m venv .venv
  fi
  local stamp=.venv/.requirements.sha256 wanted
  wanted="$(sha256sum requirements.txt | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "Installing requirements.txt into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
    echo "$wanted" > "$stamp"
  fi
}

# Wait until a command succeeds (up to $1 seconds).
wait_for() {
  local seconds=$1
  shift
  for _ in $(seq "$seconds"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  "$@"
}
