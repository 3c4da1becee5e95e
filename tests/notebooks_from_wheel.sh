#!/usr/bin/env bash
# The notebooks as Colab runs them: the package installed from a built wheel into a
# fresh environment, and the notebooks alone in a folder with no source tree.
# Usage: bash tests/notebooks_from_wheel.sh   (from anywhere; takes a few minutes)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# pip, quietly: show the whole log only when it fails.
quiet() {
  local log="$work/pip.log"
  "$@" >"$log" 2>&1 || { cat "$log"; return 1; }
}

python3 -m venv "$work/venv"
quiet "$work/venv/bin/python" -m pip wheel --no-deps -w "$work/dist" "$repo"
quiet "$work/venv/bin/python" -m pip install "$work"/dist/gdl_vae-*.whl pytest nbval ipykernel

mkdir "$work/course"
cp "$repo"/notebooks/[0-9][0-9]_*.ipynb "$repo/notebooks/sanitize.cfg" "$work/course/"
cd "$work/course"
# The package must come from the wheel, not from the repository.
"$work/venv/bin/python" -c '
import pathlib, sys, gdl_vae
where = pathlib.Path(gdl_vae.__file__).resolve()
assert "site-packages" in where.parts, where
print("gdl_vae from", where.parent)
'
# No repository data/ next to an installed package: name the folder, as a user would.
GDL_VAE_DATA_DIR="$repo/data" GDL_VAE_QUICK=1 GDL_VAE_OFFLINE=1 \
  "$work/venv/bin/python" -m pytest -q -p no:cacheprovider --nbval-lax \
  --nbval-sanitize-with sanitize.cfg ./*.ipynb
