#!/usr/bin/env bash
# The package as Colab runs it: built as a wheel, installed into a fresh
# environment with Colab's versions (tests/colab-constraints.txt names the
# Python and pins the libraries), and tested there with no source tree beside
# it: the package's tests, then the notebooks copied alone into an empty folder.
# Usage: bash tests/notebooks_from_wheel.sh   (from anywhere; a few minutes)
# COLAB_PYTHON=/path/to/python overrides the interpreter.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
constraints="$repo/tests/colab-constraints.txt"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# pip, quietly: show the whole log only when it fails.
quiet() {
  local log="$work/pip.log"
  "$@" >"$log" 2>&1 || { cat "$log"; return 1; }
}

# Colab's Python: COLAB_PYTHON, pyenv's, or pythonX.Y on PATH (one that runs:
# a pyenv shim for a version not selected does not); else python3.
want="$(sed -n 's/^# python: *//p' "$constraints")"
python="${COLAB_PYTHON:-}"
if [ -z "$python" ]; then
  pyenv_root="$(pyenv root 2>/dev/null || echo /nonexistent)"
  for candidate in "$pyenv_root"/versions/"$want"*/bin/python"$want" "python$want"; do
    if "$candidate" -c "" >/dev/null 2>&1; then
      python="$candidate"
      break
    fi
  done
fi
if [ -z "$python" ]; then
  python=python3
  echo "note: Python $want (Colab's) not found; testing with $(python3 --version)"
fi

"$python" -m venv "$work/venv"
quiet "$work/venv/bin/python" -m pip wheel --no-deps -w "$work/dist" "$repo"
quiet "$work/venv/bin/python" -m pip install -c "$constraints" \
  "$work"/dist/gdl_vae-*.whl pytest nbval ipykernel ipywidgets

mkdir "$work/course"
cp "$repo"/notebooks/[0-9][0-9]_*.ipynb "$repo/notebooks/sanitize.cfg" "$work/course/"
# The package's tests, less:
# - the four files that check the repository itself (its notebooks' committed
#   outputs, the benchmark's results and README, the website built from them,
#   the student edition built with tools/);
# - the fault-injection suite (3 minutes of killed and resumed trainings;
#   test_cli.py and test_run_folder.py still check Ctrl-C, resuming and the
#   checkpoint in these versions);
# - the measurements and figures that the notebooks' quick runs below execute
#   end to end in these versions (statistics, sweeps over seeds, latent-space
#   and lines measures, the generation metrics, the plots): their arithmetic is
#   checked in the first pass, and does not depend on the library versions.
cp -r "$repo/tests" "$work/tests"
rm "$work/tests/test_notebooks.py" "$work/tests/test_benchmarks.py" \
  "$work/tests/test_site.py" "$work/tests/test_faults.py" \
  "$work/tests/test_editions.py"
rm "$work/tests/test_stats.py" "$work/tests/test_sweep.py" \
  "$work/tests/test_latent.py" "$work/tests/test_lines.py" \
  "$work/tests/test_evaluation.py" "$work/tests/test_metrics.py" \
  "$work/tests/test_plotting.py"
# test_exercises.py runs the solutions written in the notebooks.
mkdir "$work/notebooks"
cp "$repo"/notebooks/[0-9][0-9]_*.ipynb "$work/notebooks/"
cd "$work"
# The package must come from the wheel, not from the repository.
"$work/venv/bin/python" -c '
import importlib.metadata as m, pathlib, platform, gdl_vae
where = pathlib.Path(gdl_vae.__file__).resolve()
assert "site-packages" in where.parts, where
weights = where.parent / "measure" / "weights" / "digit_classifier.weights.h5"
assert weights.is_file(), f"the wheel lacks the classifier weights: {weights}"
for name in ("one_layer", "two_layers"):  # the shipped models (models/pretrained.py)
    for suffix in (".json", ".weights.h5"):
        shipped = where.parent / "models" / "weights" / f"{name}{suffix}"
        assert shipped.is_file(), f"the wheel lacks a shipped model: {shipped}"
names = ("tensorflow", "keras", "tensorflow-probability", "tf-keras", "numpy")
print(f"gdl_vae from {where.parent}; Python {platform.python_version()},",
      ", ".join(f"{n} {m.version(n)}" for n in names))
'
# No repository data/ next to an installed package: name the folder, as a user would.
export GDL_VAE_DATA_DIR="$repo/data" GDL_VAE_QUICK=1 GDL_VAE_OFFLINE=1 GDL_VAE_NO_WIDGETS=1
# A statistical test that trains many models (25 s) runs in the first pass
# only: what it checks, an estimator's bias, is the package's arithmetic, which
# the other tests here cover in these versions.
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning \
  -k "not test_dreg_is_unbiased_and_less_noisy_for_the_encoder" tests
cd "$work/course"
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider --nbval-lax \
  --nbval-sanitize-with sanitize.cfg ./*.ipynb
