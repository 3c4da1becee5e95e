"""One training loop for every caller: the command line, the sweep, the benchmarks.

`train` takes a built, compiled model (build it after keras.utils.set_random_seed
for reproducible weights), feeds it the images through `EpochData`, and
stops after a number of epochs, a number of images seen, or a wall-clock
budget. It returns the model with its history and its clock's figures.
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
    """
    if epochs is not None and images_seen is not None:
        raise ValueError("give epochs or images_seen, not both.")
    if epochs is None and images_seen is None and budget_s is None:
        raise ValueError("give epochs, images_seen or budget_s: when to stop.")
    if images_seen is not None:
        epochs = epochs_for(images_seen, len(x_train))
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
    history = model.fit(
        data.dataset,
        epochs=MAX_EPOCHS if epochs is None else epochs,
        initial_epoch=initial_epoch,
        validation_data=validation_data,
        callbacks=[data, clock, *callbacks],
        shuffle=False,  # the pipeline shuffles
        verbose=verbose,
    ).history
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
