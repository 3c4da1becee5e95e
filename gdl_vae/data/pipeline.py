"""Binarization and tf.data pipelines: images as a model sees them.

Binarization is one of BINARIZATIONS: "dynamic" (a fresh Bernoulli draw of
every pixel, new each time), "static" (a threshold at 0.5, once), or None
(grey levels kept).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from gdl_vae.data.checks import check_images

BINARIZATIONS = ("dynamic", "static", None)


def _check_binarization(binarization) -> None:
    if binarization not in BINARIZATIONS:
        raise ValueError(
            "binarization must be 'dynamic', 'static' or None (grey levels); got "
            f"{binarization!r}."
        )


def binarize(
    x: np.ndarray, method: str = "static", seed: int | None = None
) -> np.ndarray:
    """Binary images: threshold at 0.5 ("static") or one Bernoulli draw ("dynamic")."""
    check_images(x, image_shape=None)
    if method == "static":
        return (x > 0.5).astype(np.float32)
    if method == "dynamic":
        rng = np.random.default_rng(seed)
        return (rng.random(x.shape, dtype=np.float32) < x).astype(np.float32)
    raise ValueError(
        f"binarization method must be 'static' or 'dynamic'; got {method!r}."
    )


def held_out_images(
    x: np.ndarray, binarization: str | None, seed: int | None = 0
) -> np.ndarray:
    """Images to evaluate on, as the model saw its training images: one fixed
    Bernoulli draw (seeded) for "dynamic", the threshold for "static", and the
    grey levels themselves for None."""
    _check_binarization(binarization)
    return x if binarization is None else binarize(x, binarization, seed=seed)


def make_dataset(
    x: np.ndarray,
    batch_size: int = 128,
    binarization: str | None = None,
    shuffle: bool = True,
    seed: int | None = None,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """A tf.data pipeline of image batches, optionally binarized.

    "dynamic" draws fresh binary pixels every time a batch is served (each epoch
    sees a different binarization, a standard regulariser for MNIST likelihoods);
    "static" thresholds once at 0.5; None keeps grey levels. drop_remainder=True
    gives every batch the same static shape, which a TPU needs.
    """
    check_images(x, image_shape=None)
    _check_binarization(binarization)
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}.")
    if binarization == "static":
        x = binarize(x, "static")
    ds = tf.data.Dataset.from_tensor_slices(x)
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if binarization == "dynamic":
        # One stateless seed per batch, new on every pass over the data.
        seeds = tf.data.Dataset.random(
            seed=seed, rerandomize_each_iteration=True
        ).batch(2)
        ds = tf.data.Dataset.zip(ds, seeds).map(
            lambda images, s: tf.cast(
                tf.random.stateless_uniform(tf.shape(images), seed=s) < images,
                images.dtype,
            ),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return ds.prefetch(tf.data.AUTOTUNE)


class EpochData(keras.callbacks.Callback):
    """Training batches whose order and pixels depend on (seed, epoch) alone.

    `dataset` serves one epoch each time it is iterated, drawn for the epoch
    this callback last saw begin; pass both to fit(). A run resumed at epoch e
    then sees what the uninterrupted run saw there, batch for batch, whatever
    number of passes Keras makes over the data. Stateless keys: (seed, even)
    for an epoch's order, (seed, odd) for each batch's binary pixels, so no two
    draws share a key.
    """

    def __init__(
        self,
        x: np.ndarray,
        batch_size: int = 128,
        binarization: str | None = None,
        seed: int | None = 0,
        first_epoch: int = 0,
    ):
        super().__init__()
        check_images(x, image_shape=None)
        _check_binarization(binarization)
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1; got {batch_size}.")
        if seed is None:  # a fresh draw for this run
            seed = int(np.random.SeedSequence().entropy % 2**62)
        if binarization == "static":
            x = binarize(x, "static")
        self.epoch = tf.Variable(first_epoch, dtype=tf.int64, trainable=False)
        images, n, dynamic = tf.constant(x), len(x), binarization == "dynamic"
        seed = tf.constant(seed, tf.int64)

        def one_epoch(_):
            e = self.epoch.read_value()
            key = tf.stack([seed, 2 * e])
            order = tf.argsort(tf.random.stateless_uniform([n], seed=key))
            batches = tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
            return batches.enumerate().map(
                lambda i, idx: pixels(tf.gather(images, idx), e, i),
                num_parallel_calls=tf.data.AUTOTUNE,
            )

        def pixels(batch, e, i):
            if not dynamic:
                return batch
            key = tf.stack([seed, 2 * (e * 2**20 + i) + 1])
            noise = tf.random.stateless_uniform(tf.shape(batch), seed=key)
            return tf.cast(noise < batch, batch.dtype)

        self.steps = -(-n // batch_size)
        self.dataset = (
            tf.data.Dataset.from_tensors(0)
            .flat_map(one_epoch)
            .apply(tf.data.experimental.assert_cardinality(self.steps))
            .prefetch(tf.data.AUTOTUNE)
        )

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch.assign(epoch)
