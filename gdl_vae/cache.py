"""Trained models kept on disk, so that re-running a notebook trains nothing twice.

`gdl_vae.train(..., cache=True)` (and the sweep, which turns it on) looks up a
model by its recipe before training it and stores it after. The key is a hash
of everything the trained weights depend on:

- the model's class and options, its initial weights (so the architecture, the
  seed the weights were drawn from and every option that changes them) and its
  optimizer's settings;
- the training images (a fingerprint of their bytes), epochs, batch size,
  binarization and the pipeline's seed, and the held-out images given for
  validation;
- the callbacks that change training (a KL warm-up, with its settings);
- the source of the package's modules that build, train and feed a model, and
  the versions of Keras, TensorFlow, TensorFlow Probability and NumPy.

So a changed recipe, dataset or package gives a new key, never a stale model.
Training that the key cannot describe is never cached: a time budget, a
resumed run, a callback the cache does not know (one that records something
during training, like a film or a gap tracker, must see the training happen).

The cache lives in $GDL_VAE_CACHE, by default ~/.cache/gdl_vae/models;
GDL_VAE_CACHE=off turns it off. Each entry is a folder named by its key,
written whole into a temporary folder and then renamed, so an interrupted
write leaves no entry; the cache writes and reads only its own folders. A
loaded model has its weights and its optimizer's state, as training left them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

FORMAT = 1  # bumped when an entry's layout changes
# Modules whose code decides what training produces.
SOURCES = (
    "models",
    "data/pipeline.py",
    "training.py",
    "callbacks.py",
    "measure/bounds.py",
)
# Callbacks that only watch: they do not change the weights.
OBSERVERS = ("EpochClock", "ProgressLog", "KerasProgress", "EpochData", "StopOnNaN")


def directory() -> Path | None:
    """The cache's folder, or None when GDL_VAE_CACHE=off."""
    where = os.environ.get("GDL_VAE_CACHE", "")
    if where.lower() in ("off", "0", "none"):
        return None
    return Path(where).expanduser() if where else Path.home() / ".cache/gdl_vae/models"


def _digest(*parts: bytes) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


_fingerprints: dict[tuple, tuple[str, str]] = {}


def fingerprint(x: np.ndarray | None) -> str | None:
    """A hash of an array's shape, type and bytes (None for None).

    The full hash of the same array in memory is remembered, checked against a
    hash of every 997th value, so a sweep does not rehash 180 MB per model.
    """
    if x is None:
        return None
    x = np.ascontiguousarray(x)
    sample = _digest(str(x.shape).encode(), x.reshape(-1)[::997].tobytes())
    where = (x.__array_interface__["data"][0], x.shape, x.dtype.str)
    known = _fingerprints.get(where)
    if known and known[0] == sample:
        return known[1]
    full = _digest(str(x.shape).encode(), x.dtype.str.encode(), memoryview(x).cast("B"))
    _fingerprints[where] = (sample, full)
    return full


def _code() -> str:
    """A hash of the source that decides training, and the libraries' versions."""
    import tensorflow as tf
    import tensorflow_probability as tfp

    root = Path(__file__).parent
    files = []
    for name in SOURCES:
        path = root / name
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    versions = (
        f"{keras.__version__} {tf.__version__} {tfp.__version__} {np.__version__}"
    )
    return _digest(versions.encode(), *(f.read_bytes() for f in files))


def _callback_key(callback) -> list | None:
    """What a callback contributes to the key: [] for an observer, its settings
    for one the cache knows that changes training, None for any other."""
    name = type(callback).__name__
    if name in OBSERVERS:
        return []
    if name == "KLWarmup":
        return [name, float(callback.epochs), float(callback.target)]
    return None


def optimizer_settings(model: keras.Model) -> dict:
    """The model's optimizer's config without its name (adam, adam_1, ...:
    numbered per session), what two runs must share to train alike."""
    config = dict(model.optimizer.get_config()) if model.optimizer else {}
    config.pop("name", None)
    return config


def recipe(model: keras.Model, x_train: np.ndarray, **training) -> dict | None:
    """The description of one training run the key is hashed from, or None
    when it cannot be described (see the module's docstring)."""
    if not hasattr(model, "options") or training.get("budget_s") is not None:
        return None
    if training.get("initial_epoch", 0) != 0 or training.get("seed") is None:
        return None  # a resumed run, or batches drawn afresh
    callbacks = [_callback_key(c) for c in training.pop("callbacks", ())]
    if any(c is None for c in callbacks):
        return None
    weights = [np.asarray(keras.ops.convert_to_numpy(w)) for w in model.weights]
    return {
        "format": FORMAT,
        "model": f"{type(model).__module__}.{type(model).__qualname__}",
        "options": {k: repr(v) for k, v in model.options().items()},
        "reconstruction": repr(getattr(model, "reconstruction", None)),
        "initial_weights": _digest(
            *(str((w.shape, w.dtype.str)).encode() + w.tobytes() for w in weights)
        ),
        "optimizer": json.dumps(
            optimizer_settings(model), sort_keys=True, default=repr
        ),
        "x_train": fingerprint(x_train),
        "validation_data": fingerprint(training.pop("validation_data", None)),
        **{k: v for k, v in training.items() if k != "initial_epoch"},
        "callbacks": [c for c in callbacks if c],
        "code": _code(),
    }


def key(description: dict) -> str:
    """The entry's name: a hash of the recipe."""
    return _digest(json.dumps(description, sort_keys=True).encode())


def load(model: keras.Model, description: dict) -> dict | None:
    """Load the cached weights into `model` and return the stored run record
    (history, seconds, ...), or None when there is no such entry."""
    root = directory()
    if root is None:
        return None
    entry = root / key(description)
    try:
        record = json.loads((entry / "run.json").read_text())
        if record.get("recipe") != json.loads(json.dumps(description)):
            return None  # a hash collision or a damaged entry: train afresh
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)  # to take its state
        model.load_weights(entry / "model.weights.h5")
    except (OSError, ValueError, KeyError):
        return None
    return record


def store(model: keras.Model, description: dict, record: dict) -> Path | None:
    """Write an entry for a trained model: its weights and its run record.
    Returns its folder (None when the cache is off or cannot be written)."""
    root = directory()
    if root is None:
        return None
    entry = root / key(description)
    if entry.exists():
        return entry
    try:
        root.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=root))
    except OSError:
        return None
    try:
        model.save_weights(partial / "model.weights.h5")
        record = {**record, "recipe": description}
        (partial / "run.json").write_text(json.dumps(record, indent=1, default=float))
        partial.rename(entry)
    except OSError:
        return None  # another process wrote the same entry first, or a full disk
    finally:
        if partial.exists():
            shutil.rmtree(partial)  # our own temporary folder, never an entry
    return entry


def history_lists(history: dict[str, Sequence[float]]) -> dict[str, list[float]]:
    """A Keras history as plain floats, for JSON."""
    return {k: [float(v) for v in values] for k, values in history.items()}
