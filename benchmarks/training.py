"""Training and scoring one recipe, the same way in every part."""

from __future__ import annotations

import time
from collections.abc import Sequence

import gdl_vae  # first: TensorFlow, imported next, then comes without its log lines

# isort: split
import keras
import numpy as np

from benchmarks.recipes import Recipe
from gdl_vae.callbacks import TimeDecay
from gdl_vae.training import MAX_EPOCHS
from gdl_vae.training import train as train_model


def train(
    recipe: Recipe,
    x_train: np.ndarray,
    binarization: str,
    *,
    epochs: int | None = None,
    images_seen: int | None = None,
    budget_s: float | None = None,
    keep_best: bool = False,
    seed: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    **build_options,
) -> tuple[keras.Model, dict]:
    """Train one recipe for epochs, images seen or a wall-clock budget."""
    keras.utils.set_random_seed(seed)
    callbacks = list(callbacks)
    if recipe.lr_decay is not None and budget_s is not None:
        callbacks.append(TimeDecay(budget_s, recipe.lr_decay))
    x_val = keep = None
    if keep_best:  # a validation slice carved from the training split
        n_val = max(len(x_train) // 16, 64)
        x_val = gdl_vae.binarize(x_train[-n_val:], binarization, seed=seed + 1)
        x_train = x_train[:-n_val]
        # Keras' own keep-best: the weights of the epoch with the lowest held-out
        # loss come back at the end; a patience no run reaches never stops one.
        keep = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=MAX_EPOCHS, restore_best_weights=True
        )
        callbacks.insert(0, keep)
    model = recipe.build(seed=seed, **build_options)
    trained = train_model(
        model,
        x_train,
        epochs=epochs,
        images_seen=images_seen,
        budget_s=budget_s,
        batch_size=recipe.batch_size,
        binarization=binarization,
        seed=seed,
        validation_data=x_val,
        callbacks=callbacks,
    )
    stats = {
        "train_images": len(x_train),
        "epochs": round(trained.images / len(x_train), 2),
        "images_seen": trained.images,
        "train_seconds": round(trained.seconds, 1),
        "first_epoch_seconds": round(trained.epoch_times[0], 2),
        "seconds_per_epoch": round(trained.seconds_per_epoch, 3),
        "images_per_second": round(len(x_train) / trained.seconds_per_epoch),
    }
    if keep is not None:
        stats["kept_epoch"] = keep.best_epoch + 1  # Keras counts from 0
    return model, stats


def held_out(
    vae: gdl_vae.VAE, x: np.ndarray, k: int, iwae_images: int, seed: int = 0
) -> dict:
    """Negative ELBO on all of x and negative IWAE bound on its first images."""
    start = time.perf_counter()
    nelbo = -float(vae.elbo(x, n_samples=10, seed=seed).mean())
    niwae = -float(vae.iwae_bound(x[:iwae_images], k=k, seed=seed).mean())
    return {
        "neg_elbo": round(nelbo, 2),
        "neg_iwae": round(niwae, 2),
        "iwae_k": k,
        "iwae_images": min(iwae_images, len(x)),
        "eval_seconds": round(time.perf_counter() - start, 1),
    }
