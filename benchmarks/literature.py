"""Part 3, literature: the kit's latent-32 recipes (VAE, IWAE, VampPrior, the
best combination, and the same with two stochastic layers) on dynamically
binarized MNIST, each with its NLL, beside the published rows.

With save_weights, each long row's trained model is written into the package
(gdl_vae/models/weights, the name SHIPPED gives it), with its record: what
gdl_vae.load_pretrained loads and notebooks 07 and 08 check live."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

# isort: split
import keras
import numpy as np

from benchmarks import recipes
from benchmarks.settings import GOALS, PUBLISHED, Settings
from benchmarks.training import held_out, train
from gdl_vae.data import held_out_images
from gdl_vae.models import pretrained
from gdl_vae.runs import environment

# (key, recipe, long): a long row trains for literature_long_s, the others for
# literature_budget_s.
LITERATURE = (
    ("vae", recipes.GDL_DENSE_32, False),
    ("iwae5", recipes.GDL_IWAE_5, False),
    ("dreg5", recipes.GDL_DREG_5, False),
    ("iwae50", recipes.GDL_IWAE_50, False),
    ("dreg50", recipes.GDL_DREG_50, False),
    ("vamp", recipes.GDL_VAMP, False),
    ("best", recipes.GDL_BEST, True),
    ("hvae", recipes.GDL_HVAE, True),
)
# The rows whose models the package ships, by their name there, and what
# their records keep of the training.
SHIPPED = {"best": "one_layer", "hvae": "two_layers"}
TRAINING_KEYS = ("budget_s", "lr_decay", "batch_size", "train_images", "epochs",
                 "images_seen", "train_seconds", "kept_epoch")  # fmt: skip


class BoundCurve(keras.callbacks.Callback):
    """-IWAE on a few held-out images every `every_s` seconds of training.

    The points show how far a recipe is from its goal and whether it still
    improves. The time spent here is left out of `seconds` (but not out of the
    training budget, which the EpochClock keeps).
    """

    def __init__(self, x: np.ndarray, k: int, every_s: float):
        super().__init__()
        self.x, self.k, self.every_s = x, k, every_s
        self.points: list[dict] = []

    def on_train_begin(self, logs=None):
        self.start, self.paused, self.next = time.perf_counter(), 0.0, self.every_s

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.start - self.paused
        if seconds >= self.next:
            self.record(epoch + 1, seconds)
            self.next += self.every_s

    def on_train_end(self, logs=None):
        self.record(None, time.perf_counter() - self.start - self.paused)

    def record(self, epoch: int | None, seconds: float) -> None:
        start = time.perf_counter()
        bound = self.model.iwae_bound(self.x, k=self.k, seed=0).mean()
        self.points.append(
            {"epoch": epoch, "seconds": round(seconds, 1), "neg_iwae": -float(bound)}
        )
        self.paused += time.perf_counter() - start


def literature(
    data,
    settings: Settings,
    only: Sequence[str] | None = None,
    previous=None,
    save_weights: Path | None = None,
) -> dict:
    """The literature table: each recipe's NLL beside the published rows.

    only: train just these rows (keys of LITERATURE); the others keep their
    figures from previous. save_weights: a folder for the SHIPPED rows' models
    (pretrained.save_pretrained).
    """
    keys = [key for key, _, _ in LITERATURE]
    if only and set(only) - set(keys):
        raise ValueError(f"literature rows are {keys}; got {sorted(only)}")
    kept = {r["key"]: r for r in (previous or {}).get("rows", []) if r["key"] in keys}
    x_test = held_out_images(data.x_test, "dynamic")
    rows = []
    for key, recipe, long in LITERATURE:
        if only and key not in only:
            if key in kept:
                rows.append(kept[key])
            continue
        callbacks = []
        if long:
            x_curve = x_test[: settings.curve_images]
            callbacks.append(
                BoundCurve(x_curve, settings.curve_k, settings.curve_every_s)
            )
        budget = settings.literature_long_s if long else settings.literature_budget_s
        model, stats = train(
            recipe,
            data.x_train,
            "dynamic",
            budget_s=budget,
            keep_best=True,
            callbacks=callbacks,
        )
        scores = held_out(model, x_test, settings.literature_k, len(x_test))
        row = {
            "key": key,
            "recipe": recipe.name,
            "layers": recipe.layers,
            "source": recipe.source,
            "batch_size": recipe.batch_size,
            "lr_decay": recipe.lr_decay,
            "budget_s": budget,
            **stats,
            **scores,
        }
        if long:
            row["curve"] = callbacks[0].points
            row["curve_k"] = settings.curve_k
            row["curve_images"] = len(x_curve)
        if save_weights is not None and key in SHIPPED:
            path = pretrained.save_pretrained(
                model, SHIPPED[key], _record(row, recipe, data), save_weights
            )
            print(f"  saved {path}", flush=True)
        rows.append(row)
        print(
            f"  {recipe.name}: {stats['epochs']} epochs in {stats['train_seconds']} "
            f"s, -ELBO {scores['neg_elbo']}, NLL {scores['neg_iwae']} (evaluation "
            f"{scores['eval_seconds']} s)",
            flush=True,
        )
    return {
        "data_source": data.source,
        "n_train": len(data.x_train),
        "n_test": len(x_test),
        "rows": rows,
        "published": PUBLISHED,
        "goals": GOALS,
    }


def _record(row: dict, recipe: recipes.Recipe, data) -> dict:
    """What the package says of a shipped model: how to build it, how it was
    trained and what it scored (pretrained.py)."""
    model, options = recipe.registered
    return {
        "model": model,
        "options": options,
        "recipe": recipe.name,
        "source": recipe.source,
        "command": "python -m benchmarks.run --parts literature --rows "
        f"{row['key']} --save-weights",
        "data_source": data.source,
        "training": {key: row[key] for key in TRAINING_KEYS if key in row},
        "held_out": {
            "binarization": "dynamic, seed 0 (gdl_vae.held_out_images)",
            "neg_elbo": row["neg_elbo"],
            "nll": row["neg_iwae"],
            "k": row["iwae_k"],
            "images": row["iwae_images"],
        },
        # -IWAE on the first test images while it trained: the weights of
        # each moment, k = curve_k
        "curve": row.get("curve", []),
        "curve_k": row.get("curve_k"),
        "curve_images": row.get("curve_images"),
        **environment(),
    }
