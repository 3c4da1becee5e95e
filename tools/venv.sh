#!/usr/bin/env bash
# Create .venv if needed and install the package with its dev extras into it.
# `make train` and `make test` call this; it does nothing when the install is
# newer than pyproject.toml. Usage: bash tools/venv.sh [VENV]
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-.venv}"
stamp="$venv/.installed"
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then
  exit 0
fi
python="${PYTHON:-python3}"
"$python" -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10 or newer, please"'
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
echo "installing gdl_vae and its dev tools into $venv (a few minutes the first time)"
log="$(mktemp)"
# Quiet unless it fails: pip's log is long, and some machines' pip configuration
# warns about absent local indexes on every package.
if "$venv/bin/python" -m pip install -q -e ".[dev]" >"$log" 2>&1; then
  grep -v "^WARNING: Location" "$log" || true
else
  cat "$log"
  rm -f "$log"
  exit 1
fi
rm -f "$log"
touch "$stamp"
