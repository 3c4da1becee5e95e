"""One training loop for every caller: the command line, the sweep, the benchmarks.

`train` takes a built, compiled model (build it after keras.utils.set_random_seed
for reproducible weights), feeds it the images through `EpochData`, and
stops after a number of epochs, a number of images seen, or a wall-clock
budget. It returns the model with its history and its clock's figures.

Every new Keras model traces its training step into a graph the first time it
trains: about 0.8 s for the course's small dense networks on 2 CPU cores, as
long as training them on 20,000 images. Models of one recipe that differ only in their
seed can share one trace: `train(model, ..., trainer=other)` runs the steps on
`other` (a model built by the same builder) with `model`'s weights, optimizer
state and random state loaded into it, and copies the result back. The steps
are the same, so the weights are the same as `model` training alone
(tests/test_training.py checks it); sweep.train_over_seeds does this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import keras
import numpy as np

from gdl_vae import cache as cached
from gdl_vae.callbacks import EpochClock
from gdl_vae.data.pipeline import EpochData

MAX_EPOCHS = 100_000  # the epoch limit when only a time budget stops training


@dataclass
class Trained:
    """A trained model, its per-epoch losses, and how long training took."""

    model: keras.Model
    history: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    images: int = 0  # images seen in this call (partial last epoch included)
    epoch_times: list[float] = field(default_factory=list)
    seconds_per_epoch: float = 0.0  # median after the first (tracing) epoch
    cached: bool = False  # loaded from gdl_vae.cache: the figures are its training's

    @property
    def epochs(self) -> int:
        """Epochs finished in this call."""
        return len(self.epoch_times)


def epochs_for(images_seen: int, n_images: int) -> int:
    """Whole epochs closest to `images_seen` images, at least one."""
    return max(1, round(images_seen / n_images))


def train(
    model: keras.Model,
    x_train: np.ndarray,
    *,
    epochs: int | None = None,
    images_seen: int | None = None,
    budget_s: float | None = None,
    batch_size: int = 128,
    binarization: str | None = "dynamic",
    seed: int | None = 0,
    validation_data: np.ndarray | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    initial_epoch: int = 0,
    verbose: int = 0,
    cache: bool = False,
    trainer: keras.Model | None = None,
) -> Trained:
    """Train `model` on x_train; stop at `epochs`, `images_seen` or `budget_s`.

    Args:
        model: a compiled Keras model (any registered builder's output).
        x_train: training images in [0, 1], (N, height, width, channels).
        epochs: train up to this epoch (counted from 0, so resuming with
            initial_epoch trains epochs - initial_epoch more).
        images_seen: instead of epochs: the whole epochs nearest to this many
            images (a budget that does not grow with the training set's size).
        budget_s: stop at the first step past this many seconds of wall time
            (alone, or as a limit on epochs or images_seen).
        batch_size, binarization, seed: the pipeline (EpochData).
        validation_data: held-out images, evaluated after every epoch.
        callbacks: more Keras callbacks (a checkpoint, KL warm-up, ...).
        initial_epoch: the epoch to resume from.
        verbose: Keras' verbosity (0 silent, 1 progress bar, 2 a line an epoch).
        cache: look the run up in gdl_vae.cache first (the model then gets the
            stored weights, and nothing trains) and store it after training.
        trainer: a model of the same recipe (class, options, optimizer and
            steps per execution; other weights) whose traced training step is
            reused: the steps run on it with `model`'s state, which then comes
            back to `model`. Callbacks see `trainer` as their model.
    """
    if epochs is not None and images_seen is not None:
        raise ValueError("give epochs or images_seen, not both.")
    if epochs is None and images_seen is None and budget_s is None:
        raise ValueError("give epochs, images_seen or budget_s: when to stop.")
    if images_seen is not None:
        epochs = epochs_for(images_seen, len(x_train))
    if trainer is model:
        trainer = None
    if trainer is not None and (why := differs(model, trainer)):
        raise ValueError(f"trainer cannot train this model: {why}.")
    description = None
    if cache:
        description = cached.recipe(
            model, x_train, epochs=epochs, budget_s=budget_s, batch_size=batch_size,
            binarization=binarization, seed=seed, validation_data=validation_data,
            callbacks=callbacks, initial_epoch=initial_epoch,
        )  # fmt: skip
        record = description and cached.load(model, description)
        if record:
            return Trained(model, **record["run"], cached=True)
    # Epoch e's order and pixels come from (seed, e): a run resumed at
    # initial_epoch sees what the uninterrupted run saw, batch for batch.
    data = EpochData(x_train, batch_size, binarization, seed, initial_epoch)
    clock = EpochClock(len(x_train), batch_size, budget_s)
    runner = model if trainer is None else copy_state(model, trainer)
    history = runner.fit(
        data.dataset,
        epochs=MAX_EPOCHS if epochs is None else epochs,
        initial_epoch=initial_epoch,
        validation_data=validation_data,
        validation_batch_size=500,  # evaluation only: large batches are faster
        callbacks=[data, clock, *callbacks],
        shuffle=False,  # the pipeline shuffles
        verbose=verbose,
    ).history
    if runner is not model:
        copy_state(runner, model)
    run = {
        "history": cached.history_lists(history),
        "seconds": clock.seconds,
        "images": clock.images,
        "epoch_times": list(clock.epoch_times),
        "seconds_per_epoch": clock.seconds_per_epoch,
    }
    if description:
        cached.store(model, description, {"run": run})
    return Trained(model, **run)


def _layers(model: keras.Model) -> list[tuple[str, str]]:
    """Each innermost layer's class and settings, without its name and seed."""
    rows = []
    for layer in model._flatten_layers(include_self=False):
        if any(True for _ in layer._flatten_layers(include_self=False)):
            continue  # an encoder or a decoder: its layers are listed
        config = layer.get_config()
        rows.append(
            (
                type(layer).__name__,
                repr({k: v for k, v in config.items() if k not in ("name", "seed")}),
            )
        )
    return rows


def differs(a: keras.Model, b: keras.Model) -> str | None:
    """Why a and b cannot share a traced training step (None when they can):
    another class, options, layers, optimizer, steps per execution or dtype
    policy. Models that differ only in their weights (their seed) can."""
    checks = {
        "class": (type(a), type(b)),
        "options": tuple(
            (getattr(m, "reconstruction", None), getattr(m, "options", dict)())
            for m in (a, b)
        ),
        "layers": (_layers(a), _layers(b)),
        "optimizer": (cached.optimizer_settings(a), cached.optimizer_settings(b)),
        "steps per execution": (a.steps_per_execution, b.steps_per_execution),
        "dtype policy": (a.dtype_policy.name, b.dtype_policy.name),
        "variables": tuple([tuple(v.shape) for v in m.variables] for m in (a, b)),
    }
    for what, (x, y) in checks.items():
        if x != y:
            return f"another {what}"
    return None


def _optimizer_variables(model: keras.Model) -> list:
    """The variables of the model's optimizer and of any other it keeps (ACAI's
    critic has its own), built first if need be."""
    optimizers = [model.optimizer] if model.optimizer is not None else []
    optimizers += [
        value
        for name, value in sorted(vars(model).items())
        if isinstance(value, keras.optimizers.Optimizer)
        and value is not model.optimizer
    ]
    for optimizer in optimizers:
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
    return [v for optimizer in optimizers for v in optimizer.variables]


def copy_state(source: keras.Model, target: keras.Model) -> keras.Model:
    """Give target source's training state: every variable of the model (the
    weights, beta, the seed generators' states) and of its optimizers (step
    count, learning rate, moments). Returns target."""
    pairs = [(source.variables, target.variables)]
    pairs.append((_optimizer_variables(source), _optimizer_variables(target)))
    for sources, targets in pairs:
        for s, t in zip(sources, targets, strict=True):
            t.assign(s)
    return target
