"""Train several models on the same data, then measure each the same way.

The engine of notebook 04: which part of the loss gives which property.
`train_models` trains every model for the same number of images seen;
`train_over_seeds` repeats that for several seeds, so that every difference
comes with its error bar (gdl_vae.measure.stats); `measure` returns one row
per model (the likelihood terms and the train/held-out gaps, continuity,
completeness and memorisation, active units and posterior width); DESIGN names
the 2 x 2 design (no KL, the KL's mean term, its variance term, both);
`table` prints rows as aligned text, estimates as mean ± standard error.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import keras
import numpy as np

from gdl_vae._quiet import expected_retracing
from gdl_vae.data.pipeline import held_out_images
from gdl_vae.measure.bounds import kl_parts
from gdl_vae.measure.evaluation import (
    continuity,
    direction_changes,
    nearer_training_share,
)
from gdl_vae.measure.latent import active_units, prior_holes
from gdl_vae.progress import KerasProgress, bar
from gdl_vae.training import Trained, differs, epochs_for, train

if TYPE_CHECKING:
    from tqdm import tqdm


def train_models(
    builders: Mapping[str, Callable[[], keras.Model]],
    x_train: np.ndarray,
    images_seen: int,
    batch_size: int = 128,
    binarization: str | None = "dynamic",
    seed: int = 0,
    callbacks: Mapping[str, Sequence[keras.callbacks.Callback]] | None = None,
    verbose: bool = True,
    progress: tqdm | None = None,
    cache: bool = True,
    trainers: Mapping[str, keras.Model] | None = None,
) -> dict[str, Trained]:
    """Build and train each model on the same pipeline for the same images seen.

    builders maps a name to a function that returns a compiled model; each is
    called after resetting the random seed, so every model starts from the same
    random state. callbacks maps names to extra callbacks (a KL warm-up).
    A progress bar counts the training steps of all the models (progress: a
    bar from gdl_vae.progress to move instead, as train_over_seeds does);
    verbose prints one line per model once all are trained. cache: reuse a
    model trained earlier with the same recipe and seed (gdl_vae.cache).
    trainers: for some names, a model of the same recipe whose traced training
    step runs the steps (training.train's trainer), as train_over_seeds gives.
    """
    if not builders:
        raise ValueError("builders is empty: name at least one model to train.")
    epochs = epochs_for(images_seen, len(x_train))
    steps = epochs * -(-len(x_train) // batch_size)
    own = progress is None
    if own:
        progress = bar(steps * len(builders), "training", unit="step")
    trained = {}
    try:
        for name, build in builders.items():
            keras.utils.set_random_seed(seed)
            model = build()
            extra = list((callbacks or {}).get(name, []))
            trainer = (trainers or {}).get(name)
            if trainer is not None and differs(model, trainer):
                trainer = None  # another recipe: it traces its own step
            with expected_retracing():
                trained[name] = train(
                    model,
                    x_train,
                    epochs=epochs,
                    batch_size=batch_size,
                    binarization=binarization,
                    seed=seed,
                    callbacks=[*extra, KerasProgress(progress, name)],
                    cache=cache,
                    trainer=trainer,
                )
            if trained[name].cached:
                progress.update(steps)
    finally:
        if own:
            progress.close()
    if verbose:
        for name, run in trained.items():
            loss = run.history["loss"][-1]
            took = f"{run.seconds:.0f} s" + (", from the cache" if run.cached else "")
            print(f"{name}: {epochs} epochs, loss {loss:.2f} ({took})")
    return trained


def train_over_seeds(
    builders: Mapping[str, Callable[[int], keras.Model]],
    x_train: np.ndarray,
    images_seen: int,
    seeds: Sequence[int],
    batch_size: int = 128,
    callbacks: Callable[[str, int], Sequence[keras.callbacks.Callback]] | None = None,
    cache: bool = True,
    binarization: str | None = "dynamic",
) -> dict[str, list[Trained]]:
    """train_models once per seed: builders map a name to build(seed); returns
    {name: [Trained, one per seed]} and prints one line per model, its final
    training loss as mean ± standard error over the seeds. callbacks(name,
    seed) gives a run's extra callbacks. cache, binarization: as for
    train_models.

    The seeds of one name share one traced training step (training.train's
    trainer, a model built once more for the purpose): the weights are those
    of training each alone, without a second of tracing per model."""
    from gdl_vae.measure.stats import over_seeds

    if len(seeds) < 2:
        raise ValueError(f"train_over_seeds needs 2 seeds or more; got {seeds}.")
    runs: dict[str, list[Trained]] = {name: [] for name in builders}
    epochs = epochs_for(images_seen, len(x_train))
    steps = epochs * -(-len(x_train) // batch_size) * len(builders) * len(seeds)
    trainers = {}
    for name, build in builders.items():
        keras.utils.set_random_seed(seeds[0])
        trainers[name] = build(seeds[0])
    with bar(steps, "training", unit="step") as progress:
        for seed in seeds:
            trained = train_models(
                {n: functools.partial(build, seed) for n, build in builders.items()},
                x_train, images_seen, batch_size, binarization, seed=seed,
                verbose=False, progress=progress, cache=cache, trainers=trainers,
                callbacks={n: callbacks(n, seed) for n in builders} if callbacks
                else None,
            )  # fmt: skip
            for name, run in trained.items():
                runs[name].append(run)
    for name, group in runs.items():
        loss = over_seeds([run.history["loss"][-1] for run in group])
        seconds = sum(run.seconds for run in group)
        reused = sum(run.cached for run in group)
        took = f"{seconds:.0f} s" + (f", {reused} from the cache" if reused else "")
        print(f"{name}: {epochs} epochs x {len(seeds)} seeds, loss {loss:.2f} ({took})")
    return runs


def _likelihood_terms(model, x: np.ndarray, seed: int) -> dict[str, float]:
    """Reconstruction term and, for a model with a bound, KL and negative ELBO."""
    if not model.has_bound:
        result = model.evaluate(x, batch_size=500, verbose=0, return_dict=True)
        return {"reconstruction": float(result["reconstruction_loss"])}
    kl = kl_parts(model, x)
    kl_total = kl["kl_mean_term"] + kl["kl_variance_term"]
    neg_elbo = -float(model.elbo(x, n_samples=5, seed=seed).mean())
    return {
        "reconstruction": neg_elbo - kl_total,
        "kl": kl_total,
        **kl,
        "neg_elbo": neg_elbo,
    }


def measure(
    models: Mapping[str, keras.Model],
    x_train: np.ndarray,
    x_test: np.ndarray,
    reference=None,
    binarization: str | None = "dynamic",
    n_samples: int = 2000,
    n_paths: int = 300,
    step: float = 0.1,
    seed: int = 0,
) -> list[dict]:
    """One row of measurements per model, all on the same images and draws.

    Likelihood (held-out, and on as many training images for the gaps):
      reconstruction, kl, kl_mean_term, kl_variance_term, neg_elbo (the last
      four for models with a bound); reconstruction_gap (held-out minus
      training reconstruction term, every model) and gap (the same for the
      negative ELBO, models with a bound).
    Latent space: active_units (variance of E[z|x] above 0.01); sigma, the
      mean posterior standard deviation over images and dimensions (VAEs).
    Continuity: largest_step_share and path_ratio along linear paths between
      held-out codes (see evaluation.path_continuity; the largest step's share
      is the one blur leaves alone); direction_change, the RMS pixel change for
      a step of `step` times the codes' RMS spread in a random direction.
      n_paths=0 leaves continuity out.
    Completeness, on n_samples latent samples (model.latent_samples: a VAE's
      prior N(0, I); for an autoencoder, the Gaussian fitted to its codes):
      fd, precision, recall and recognised against `reference` (a
      metrics.Reference; give it n_samples real images); prior_holes, the
      share of the prior's mass where the codes' aggregate posterior is thin
      (VAEs, see latent.prior_holes); nearer_train (memorisation: the share
      of samples nearer a training image than any held-out one, with as many
      of each; about 0.5 without memorisation).
    """
    held_out = held_out_images(x_test, binarization, seed=seed)
    n = min(len(x_train), len(x_test))
    seen = held_out_images(x_train[:n], binarization, seed=seed)
    rng = np.random.default_rng(seed)
    pairs = rng.integers(0, len(held_out), size=(n_paths, 2))
    rows = []
    for name, model in models.items():
        row = {"model": name}
        test_terms = _likelihood_terms(model, held_out, seed)
        train_terms = _likelihood_terms(model, seen, seed)
        row.update(test_terms)
        row["reconstruction_gap"] = (
            test_terms["reconstruction"] - train_terms["reconstruction"]
        )
        if model.has_bound:
            row["gap"] = test_terms["neg_elbo"] - train_terms["neg_elbo"]

        codes = model.codes(held_out)
        row["active_units"] = active_units(codes)
        if model.has_prior:
            q = model.encode(held_out)
            stds = q.stddev().numpy()
            row["sigma"] = float(stds.mean())
            row["prior_holes"] = prior_holes(codes, stds, n_samples, seed=seed)
        if n_paths:
            row.update(continuity(model, codes[pairs[:, 0]], codes[pairs[:, 1]]))
            spread = np.sqrt(np.mean(np.sum((codes - codes.mean(0)) ** 2, axis=1)))
            changes = direction_changes(model, codes[:n_paths], step * spread, seed)
            row["direction_change"] = float(changes.mean())

        samples = model.decode_mean(model.latent_samples(n_samples, seed, codes))
        if reference is not None:
            score = reference.score(samples)
            row.update({k: score[k] for k in ("fd", "precision", "recall")})
            row["recognised"] = score["recognised"]
        row["nearer_train"] = nearer_training_share(samples, x_train[:n], x_test[:n])
        rows.append(row)
    return rows


DESIGN = ("no KL", "mean term", "variance term", "both terms")


def table(rows: Sequence[Mapping], columns: Mapping[str, str], digits: int = 2) -> str:
    """Rows as an aligned text table; columns maps row keys to headers.

    Floats get `digits` decimals, estimates (stats.Estimate) mean ± se; a
    value a row lacks (an autoencoder's KL) shows as "-".
    """
    cells = [list(columns.values())]
    for row in rows:
        line = []
        for key in columns:
            value = row.get(key)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                value = "-"  # not measured for this model
            elif isinstance(value, float) or hasattr(value, "se"):
                value = f"{value:.{digits}f}"
            line.append(str(value))
        cells.append(line)
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in cells
    ]
    return "\n".join(lines)
