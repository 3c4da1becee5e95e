"""Part 3, literature: the kit's latent-32 recipes (VAE, IWAE, VampPrior, the
best combination) on dynamically binarized MNIST, each with its NLL, beside
the published one-stochastic-layer rows."""

from __future__ import annotations

import time
from collections.abc import Sequence

# isort: split
import keras
import numpy as np

from benchmarks import recipes
from benchmarks.settings import GOAL_MINUTES, GOAL_NLL, PUBLISHED, Settings
from benchmarks.training import held_out, train
from gdl_vae.data import held_out_images

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
)


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
    data, settings: Settings, only: Sequence[str] | None = None, previous=None
) -> dict:
    """The literature table: each recipe's NLL beside the published rows.

    only: train just these rows (keys of LITERATURE); the others keep their
    figures from previous.
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
        "goal": {"nll": GOAL_NLL, "minutes": GOAL_MINUTES},
    }
