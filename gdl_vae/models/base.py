"""LatentModel: what every model of the kit shares, and the contract it keeps.

A subclass must define:
  loss_names            the names of the terms it reports, "loss" first;
  loss_terms(x, training) -> {name: scalar}: every term, in nats per image
                        where it is a likelihood term; "loss" is minimised;
  codes(x)              one latent point per image, (N, latent_dim);
  call(x)               the reconstructed images (Keras' forward pass).
It may set the capabilities:
  has_prior             it can draw latent points from p(z) (a VAE);
  has_bound             it has elbo(x) and iwae_bound(x) in nats;
a config_class (configs.py: its options, defaults and checks), and override
latent_samples(n, seed, codes) and, when it trains more than one network or
on more than one loss, train_step (ACAI, DReG), with descend for each step.

It gets: train_step and test_step that share loss_terms (so a held-out loss is
the training loss), one Keras metric per loss name, input checks in fit and
evaluate, a stop with an explanation when the loss turns NaN, decode_mean,
reconstruct, the Bernoulli likelihood p(x|z), the reconstruction loss, saving
of its encoder and decoder, and traced(fn) for compiled evaluation functions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops

from gdl_vae.callbacks import StopOnNaN
from gdl_vae.data.checks import check_images
from gdl_vae.measure.latent import matched_gaussian
from gdl_vae.models.checks import count as check_count
from gdl_vae.models.configs import AutoencoderConfig, ModelConfig

tfd = tfp.distributions
BATCH = 1000  # images per forward pass in encode / decode / reconstruct
# Training steps per call into the compiled graph: fewer Python round trips.
# The conv VAE trains 1.17x faster on 2 CPU cores (benchmarks/results.md), with
# the same updates.
STEPS_PER_EXECUTION = 32


def steps_per_execution(requested: int | None = None) -> int:
    """`requested`, else STEPS_PER_EXECUTION, or 1 inside a tf.distribute scope.

    Keras 3 (3.15, TensorFlow 2.21) fails under MirroredStrategy with more than
    one step per execution ("You must feed a value for placeholder tensor").
    """
    if requested is not None:
        return requested
    return 1 if tf.distribute.has_strategy() else STEPS_PER_EXECUTION


def compile_with_adam(
    model: keras.Model, learning_rate: float, steps: int | None = None
) -> keras.Model:
    """Compile a model with Adam, as every builder does; returns the model."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        steps_per_execution=steps_per_execution(steps),
    )
    return model


def batched(fn: Callable, x, batch_size: int = BATCH):
    """Apply fn to x in slices and concatenate the results (bounded memory).

    fn may return one tensor or a tuple of them (a posterior's parameters).
    """
    parts = [fn(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    if isinstance(parts[0], (tuple, list)):
        return [ops.concatenate(p, axis=0) for p in zip(*parts, strict=True)]
    return ops.concatenate(parts, axis=0)


def batch_images(data):
    """The image batch from whatever fit/evaluate passes to train_step."""
    return data[0] if isinstance(data, (tuple, list)) else data


def _check_fit_input(x, image_shape, name: str) -> None:
    if isinstance(x, tuple) and x:  # (images, targets)
        x = x[0]
    if isinstance(x, list):
        check_images(x, image_shape, name)  # refuses it, saying what to pass
    if isinstance(x, np.ndarray) or (tf.is_tensor(x) and hasattr(x, "numpy")):
        check_images(x, image_shape, name)


class LatentModel(keras.Model):
    """An encoder, a decoder, and one loss for training and testing (module doc)."""

    loss_names: tuple[str, ...] = ("loss",)
    has_prior: bool = False
    has_bound: bool = False
    config_class: type[ModelConfig] = ModelConfig  # its options (configs.py)

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        reconstruction: str = AutoencoderConfig.reconstruction,
        **kwargs,
    ):
        super().__init__(**kwargs)
        AutoencoderConfig(reconstruction=reconstruction)  # checks it
        self.reconstruction = reconstruction
        self.encoder = encoder
        self.decoder = decoder
        self.trackers = [keras.metrics.Mean(name=name) for name in self.loss_names]
        self.traced_functions: dict = {}
        self.built = True  # encoder and decoder are built functional models

    @property
    def metrics(self):
        return self.trackers

    @property
    def image_shape(self) -> tuple[int, ...]:
        return tuple(self.encoder.input_shape[1:])

    @property
    def latent_dim(self) -> int:
        return int(self.decoder.input_shape[-1])

    def likelihood(self, logits) -> tfd.Distribution:
        """p(x|z): independent Bernoulli pixels with the decoder's logits."""
        return tfd.Independent(
            tfd.Bernoulli(logits=logits, dtype=tf.float32),
            reinterpreted_batch_ndims=len(self.image_shape),
        )

    def reconstruction_loss(self, x, output):
        """Per image, averaged over the batch: -log p(x|z) in nats (Bernoulli,
        from logits), or the squared error summed over pixels ("mse")."""
        if self.reconstruction == "mse":
            error = ops.reshape(ops.square(x - output), (ops.shape(x)[0], -1))
            return ops.mean(ops.sum(error, axis=-1))
        return -ops.mean(self.likelihood(output).log_prob(x))

    def mean_image(self, output):
        """The decoder's output as an image: sigmoid of logits, or itself ("mse")."""
        return output if self.reconstruction == "mse" else ops.sigmoid(output)

    def loss_terms(self, x, training: bool = False) -> dict:
        """{"loss": ..., and one entry per term}, each a scalar in nats."""
        raise NotImplementedError

    def train_step(self, data):
        x = batch_images(data)
        with tf.GradientTape() as tape:
            terms = self.loss_terms(x, training=True)
        self.descend(tape, [(terms["loss"], self.trainable_weights)])
        return self._record(terms)

    def descend(self, tape, losses: list, optimizer=None) -> None:
        """One step of the optimizer (the model's own unless given): each
        (loss, weights) pair in losses, recorded on tape, gives the gradients
        of its weights, and they are applied together, in the given order."""
        optimizer = optimizer or self.optimizer
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        pairs = []
        for loss, weights in losses:
            with tape:  # recorded too: the gradient goes through these lines
                # Under tf.distribute each replica sees part of the global batch
                # and the replicas' gradients are summed: divide to average them.
                loss = optimizer.scale_loss(loss / replicas)  # float16: scaled
            pairs += zip(tape.gradient(loss, weights), weights, strict=True)
        optimizer.apply_gradients(pairs)

    def test_step(self, data):
        return self._record(self.loss_terms(batch_images(data), training=False))

    def _record(self, terms: dict) -> dict:
        for tracker in self.trackers:
            tracker.update_state(terms[tracker.name])
        return {tracker.name: tracker.result() for tracker in self.trackers}

    def fit(self, x=None, *args, validation_data=None, callbacks=None, **kwargs):
        _check_fit_input(x, self.image_shape, "x")
        _check_fit_input(validation_data, self.image_shape, "validation_data")
        callbacks = [*(callbacks or []), StopOnNaN()]
        # A tf.data pipeline shuffles itself (make_dataset does).
        kwargs.setdefault("shuffle", not isinstance(x, tf.data.Dataset))
        return super().fit(
            x, *args, validation_data=validation_data, callbacks=callbacks, **kwargs
        )

    def evaluate(self, x=None, *args, **kwargs):
        _check_fit_input(x, self.image_shape, "x")
        return super().evaluate(x, *args, **kwargs)

    def traced(self, fn: Callable) -> Callable:
        """fn(self, ...) compiled by tf.function once per model, and kept.

        A module-level tf.function would retrace for every new model it is
        given; this keeps one trace per (model, function).
        """
        if fn not in self.traced_functions:
            self.traced_functions[fn] = tf.function(
                functools.partial(fn, self), reduce_retracing=True
            )
        return self.traced_functions[fn]

    def codes(self, x) -> np.ndarray:
        """One latent point per image, shape (N, latent_dim); a VAE's posterior mean."""
        raise NotImplementedError

    def latent_samples(
        self, n: int, seed: int | None = None, codes: np.ndarray | None = None
    ) -> np.ndarray:
        """n latent points whose decodes are the model's new images, (n, latent_dim).

        A model without a prior draws from the Gaussian with the mean and
        covariance of `codes` (give its codes of held-out images): the fairest
        stand-in for a prior, and what a newcomer would try first.
        """
        if codes is None:
            raise ValueError(
                f"{type(self).__name__} has no prior: give codes=model.codes(x) of "
                "held-out images, and its samples come from their fitted Gaussian."
            )
        return matched_gaussian(codes, check_count(n), seed=seed)

    def decode_mean(self, z) -> np.ndarray:
        """The decoder's mean image for each z: pixels in [0, 1], (N, *image_shape)."""
        z = self._check_latent(z)
        return ops.convert_to_numpy(self.mean_image(batched(self.decoder, z)))

    def reconstruct(self, x) -> np.ndarray:
        """Decode each image's code (a VAE's posterior mean): images in [0, 1]."""
        return self.decode_mean(self.codes(x))

    def _check_latent(self, z) -> tf.Tensor:
        z = ops.convert_to_tensor(z, dtype="float32")
        if len(z.shape) != 2 or z.shape[-1] != self.latent_dim:
            raise ValueError(
                f"z must have shape (N, {self.latent_dim}); got {tuple(z.shape)}. "
                "Fix: one row per latent point, e.g. z.reshape(-1, "
                f"{self.latent_dim})."
            )
        if not bool(ops.all(ops.isfinite(z))):
            raise ValueError("z must be finite; got NaN or inf values.")
        return z

    def keep_options(self, options: dict) -> None:
        """Each option not yet an attribute becomes one of the same name: a
        subclass's config adds a field, and its loss reads self.<field>."""
        for name, value in options.items():
            if not hasattr(self, name):
                setattr(self, name, value)

    def options(self) -> dict:
        """The model's own options as they are now (its config_class names
        them, configs.py): saved by get_config, compared on resume."""
        return {o.name: getattr(self, o.name) for o in self.config_class.own_options()}

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "reconstruction": self.reconstruction,
            **self.options(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"))
        decoder = keras.saving.deserialize_keras_object(config.pop("decoder"))
        return cls(encoder, decoder, **config)
