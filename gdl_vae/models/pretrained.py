"""The kit's best trained models, shipped with it: weights, recipe and figures.

weights/<name>.weights.h5 holds a model's weights and weights/<name>.json its
record: the registered model and options it is rebuilt from, the recipe and
command that trained it, how long and on what machine, its held-out figures
(the NLL as the importance-weighted bound with k = 5,000 on all 10,000 MNIST
test images, dynamically binarized with seed 0) and the weights' sha256.
benchmarks/literature.py writes both:

    python -m benchmarks.run --parts literature --rows best hvae --save-weights

`check` measures a shipped model's NLL again on a random subset of the test
images, with its standard error, so that a learner checks the committed figure
in their own run (notebooks 07 and 08).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from gdl_vae.measure.stats import RESOLVED_AT, Estimate, standard_error

WEIGHTS = Path(__file__).parent / "weights"


def names(folder: Path = WEIGHTS) -> list[str]:
    """The shipped models' names ("one_layer", "two_layers")."""
    return sorted(p.name.removesuffix(".json") for p in folder.glob("*.json"))


def record(name: str, folder: Path = WEIGHTS) -> dict:
    """The record of the shipped model `name` (module docstring)."""
    path = folder / f"{name}.json"
    if not path.exists():
        shipped = ", ".join(names(folder)) or "none"
        raise ValueError(f"no shipped model {name!r}; shipped: {shipped}.")
    return json.loads(path.read_text())


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _build(info: dict) -> keras.Model:
    """A new model as the record describes it (float32, seed 0)."""
    from gdl_vae.models import build_model

    options = dict(info["options"])
    return build_model(
        info["model"],
        options.pop("latent_dim"),
        options.pop("architecture"),
        dtype_policy="float32",
        seed=0,
        **options,
    )


def load_pretrained(name: str, folder: Path = WEIGHTS) -> keras.Model:
    """The shipped model `name`, rebuilt from its record and loaded with its
    weights, after checking them against the record's sha256."""
    info = record(name, folder)
    path = folder / f"{name}.weights.h5"
    if not path.exists() or sha256(path) != info["sha256"]:
        raise ValueError(
            f"{path} is missing or differs from the weights its record names "
            "(sha256). Fix: reinstall gdl_vae, or in the repository git checkout "
            f"{path.name}."
        )
    model = _build(info)
    model.load_weights(path)
    return model


def save_pretrained(
    model: keras.Model, name: str, info: dict, folder: Path = WEIGHTS
) -> Path:
    """Write model's weights and info (with their sha256) as the shipped `name`.

    info names the registered model and its options ("model", "options"); the
    weights are copied into a new model of that description, so the file
    holds the model's weights without the optimizer's state, and loads into
    what load_pretrained builds. Both files are written under temporary names
    and then renamed, the record last."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fresh = _build(info)
    fresh.set_weights(model.get_weights())
    path = folder / f"{name}.weights.h5"
    partial = folder / f"{name}.partial.weights.h5"
    fresh.save_weights(partial)
    info = {**info, "sha256": sha256(partial)}
    partial.replace(path)
    record_path = folder / f"{name}.json"
    record_path.with_suffix(".partial").write_text(json.dumps(info, indent=1) + "\n")
    record_path.with_suffix(".partial").replace(record_path)
    return path


@dataclass(frozen=True)
class Check:
    """A shipped model's NLL measured again, beside the figure its record
    commits: `nll` per test image (those `images` of x_test), with k samples.
    Two checks with the same seed measure the same images, so their `nll`
    pair image by image (stats.paired)."""

    name: str
    record: dict
    images: np.ndarray
    nll: np.ndarray
    k: int

    @property
    def estimate(self) -> Estimate:
        """The mean NLL over the images, with its standard error."""
        return Estimate(
            float(self.nll.mean()), float(standard_error(self.nll)), len(self.nll)
        )

    @property
    def agrees(self) -> bool:
        """Whether the committed NLL lies within RESOLVED_AT standard errors."""
        return not (
            self.estimate - Estimate(self.record["held_out"]["nll"], 0.0, 1)
        ).resolved

    def __str__(self) -> str:
        committed = self.record["held_out"]
        minutes = self.record["training"]["train_seconds"] / 60
        within = "within" if self.agrees else "NOT within"
        return (
            f"{self.name} ({self.record['recipe']}, trained {minutes:.0f} min): NLL "
            f"here {self.estimate:.2f} ({len(self.nll):,} random test digits, "
            f"k = {self.k:,}); committed {committed['nll']:.2f} (all "
            f"{committed['images']:,}, k = {committed['k']:,}), {within} "
            f"{RESOLVED_AT:g} standard errors"
        )


def check(
    name: str,
    x_test: np.ndarray,
    n_images: int = 1000,
    k: int = 1000,
    seed: int = 0,
    folder: Path = WEIGHTS,
) -> Check:
    """Load the shipped model `name` and estimate its NLL (-IWAE with k
    samples) on n_images test images drawn at random (seeded).

    x_test: the held-out images as the record's figures were measured on
    them: all 10,000, binarized by gdl_vae.held_out_images(x, "dynamic").
    """
    model = load_pretrained(name, folder)
    rng = np.random.default_rng(seed)
    size = min(n_images, len(x_test))
    images = np.sort(rng.choice(len(x_test), size=size, replace=False))
    nll = -np.asarray(model.iwae_bound(x_test[images], k=k, seed=seed), np.float64)
    return Check(name, record(name, folder), images, nll, k)
