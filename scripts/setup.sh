#!/usr/bin/env bash
# Set up a fresh Debian 12 machine for Cockpit, idempotently (safe to re-run; a re-run with nothing to do is quick).
#
#   bash scripts/setup.sh          the test set-up: .venv with requirements-dev.txt, and Debian's chromium for the
#                                  browser tests when /usr/bin/chromium is missing (apt-get, needs root or sudo)
#   bash scripts/setup.sh --app    only what the app needs: .venv with requirements.txt
#
# Quiet when all goes well; errors are shown. The browser comes from Debian's package, never from
# `playwright install` (that downloads a browser build of its own, which this network refuses).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
CHROMIUM=/usr/bin/chromium

mode=dev
case "${1:-}" in
  "") ;;
  --app) mode=app ;;
  -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
  *) echo "setup.sh: unknown argument '$1' (use --app or nothing)" >&2; exit 2 ;;
esac

say() { echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }

# --- Python 3.11 and the virtual environment -------------------------------------------------------------------
find_python() {
  local candidate
  for candidate in python3.11 /usr/bin/python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 \
       && "$candidate" -c 'import sys, venv; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

venv_ok() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null \
    && "$VENV/bin/python" -m pip --version >/dev/null 2>&1
}

if ! venv_ok; then
  PYTHON="$(find_python)" || die "python3.11 with the venv module is needed (Debian: apt-get install python3.11-venv)"
  # A half-made or stale .venv (interrupted run, moved interpreter) is rebuilt rather than patched.
  rm -rf "$VENV"
  say "creating .venv with $PYTHON"
  "$PYTHON" -m venv "$VENV" || die "could not create $VENV"
fi

# --- Python packages: installed again only when the requirements files change -------------------------------------
req="$ROOT/requirements-dev.txt"
[ "$mode" = app ] && req="$ROOT/requirements.txt"
[ -f "$req" ] || die "missing $req"

stamp_of() {  # a hash of the requirements file and the files it includes (-r)
  cat "$ROOT/requirements.txt" "$1" | sha256sum | cut -d' ' -f1
}
stamp="$(stamp_of "$req")"
dev_stamp="$(stamp_of "$ROOT/requirements-dev.txt")"
stamp_file="$VENV/.cockpit-$mode.stamp"

# The dev set includes the app set, so a venv already set up for tests is also set up for the app.
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp" ]; then
  :
elif [ "$mode" = app ] && [ -f "$VENV/.cockpit-dev.stamp" ] && [ "$(cat "$VENV/.cockpit-dev.stamp")" = "$dev_stamp" ]; then
  :
else
  say "installing $(basename "$req") into .venv (first run takes a few minutes)"
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check --no-input -r "$req" \
    || die "pip install -r $(basename "$req") failed (see above)"
  echo "$stamp" > "$stamp_file"
fi

# --- Debian's chromium for the browser tests ----------------------------------------------------------------------
if [ "$mode" = dev ] && [ ! -x "$CHROMIUM" ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "$CHROMIUM is missing and installing it needs root (apt-get install chromium)"
    SUDO="sudo"
  fi
  say "installing Debian's chromium for the browser tests (apt-get)"
  log="$(mktemp)"
  export DEBIAN_FRONTEND=noninteractive
  if ! { $SUDO apt-get update -q && $SUDO apt-get install -y -q --no-install-recommends chromium fonts-liberation; } \
       >"$log" 2>&1; then
    tail -n 40 "$log" >&2; rm -f "$log"
    die "apt-get could not install chromium (output above)"
  fi
  rm -f "$log"
  [ -x "$CHROMIUM" ] || die "chromium was installed but $CHROMIUM is still missing"
fi

exit 0
