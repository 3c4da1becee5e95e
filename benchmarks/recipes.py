"""The recipes learners would otherwise copy, rebuilt from their published code.

Each reference keeps its published architecture, loss, optimizer and batch size;
only the data is shared (the same split and binarization for every recipe), so
that differences come from the recipe. For evaluation every trained model is
wrapped as a `gdl_vae.VAE` (its encoder, and its decoder with logits out), so
the held-out ELBO and the importance-weighted bound come from the same code.

keras_example:    keras.io "Variational AutoEncoder" (fchollet): conv 32/64
                  stride 2, Dense 16, latent 2; Conv2DTranspose 64, 32 (stride 2)
                  and 1 (stride 1, sigmoid); summed binary cross-entropy + KL;
                  Adam defaults, batch 128.
tf_cvae_tutorial: tensorflow.org "Convolutional Variational Autoencoder": conv
                  32/64 stride 2 (valid padding), latent 2; Dense 7x7x32,
                  Conv2DTranspose 64, 32 (stride 2), 1 (stride 1, logits);
                  single-sample Monte-Carlo ELBO with hand-written log-densities;
                  Adam 1e-4, batch 32.
pytorch_example:  pytorch/examples vae/main.py: MLP 784-400-20 and 20-400-784
                  (sigmoid); summed binary cross-entropy + KL; Adam 1e-3,
                  batch 128.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

import gdl_vae  # first: TensorFlow, imported next, then comes without its log lines

# isort: split
import keras
import tensorflow as tf
from keras import layers, ops

from gdl_vae.models.layers import Sampling

IMAGE = (28, 28, 1)


@dataclass(frozen=True)
class Recipe:
    """One way to train a VAE: its networks, training step, optimizer and batch."""

    name: str
    source: str
    latent_dim: int
    batch_size: int
    build: Callable[..., keras.Model]  # (seed, **compile options) -> compiled
    decoder_outputs: str = "logits"
    # Under a time budget, the learning rate decays with the clock to this
    # fraction of its start (gdl_vae.callbacks.TimeDecay); None keeps it.
    lr_decay: float | None = None
    # A recipe of the kit's own: the registered model and the options it is
    # built from (what gdl_vae.load_pretrained rebuilds it with).
    registered: tuple[str, dict] | None = None
    layers: int = 1  # stochastic layers


def keras_example_networks(
    latent_dim: int = 2, logits: bool = False
) -> tuple[keras.Model, keras.Model]:
    images = keras.Input(shape=IMAGE)
    h = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(images)
    h = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(h)
    h = layers.Flatten()(h)
    h = layers.Dense(16, activation="relu")(h)
    encoder = keras.Model(
        images, [layers.Dense(latent_dim)(h), layers.Dense(latent_dim)(h)]
    )
    z = keras.Input(shape=(latent_dim,))
    h = layers.Dense(7 * 7 * 64, activation="relu")(z)
    h = layers.Reshape((7, 7, 64))(h)
    h = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(h)
    h = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(h)
    out = layers.Conv2DTranspose(
        1, 3, activation=None if logits else "sigmoid", padding="same"
    )(h)
    return encoder, keras.Model(z, out)


def tf_cvae_networks(latent_dim: int = 2) -> tuple[keras.Model, keras.Model]:
    images = keras.Input(shape=IMAGE)
    h = layers.Conv2D(32, 3, strides=2, activation="relu")(images)
    h = layers.Conv2D(64, 3, strides=2, activation="relu")(h)
    h = layers.Flatten()(h)
    both = layers.Dense(latent_dim + latent_dim)(h)  # mean and log-variance
    encoder = keras.Model(images, [both[:, :latent_dim], both[:, latent_dim:]])
    z = keras.Input(shape=(latent_dim,))
    h = layers.Dense(7 * 7 * 32, activation="relu")(z)
    h = layers.Reshape((7, 7, 32))(h)
    h = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(h)
    logits = layers.Conv2DTranspose(1, 3, strides=1, padding="same")(h)
    return encoder, keras.Model(z, logits)


def pytorch_example_networks(latent_dim: int = 20) -> tuple[keras.Model, keras.Model]:
    images = keras.Input(shape=IMAGE)
    h = layers.Dense(400, activation="relu")(layers.Flatten()(images))
    encoder = keras.Model(
        images, [layers.Dense(latent_dim)(h), layers.Dense(latent_dim)(h)]
    )
    z = keras.Input(shape=(latent_dim,))
    h = layers.Dense(400, activation="relu")(z)
    h = layers.Dense(784, activation="sigmoid")(h)
    return encoder, keras.Model(z, layers.Reshape(IMAGE)(h))


class _ReferenceVAE(keras.Model):
    """A reference's own training step: minimise `loss_value`, report it."""

    def __init__(self, encoder, decoder, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.sampling = Sampling(seed=seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def loss_value(self, data):
        raise NotImplementedError

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss = self.loss_value(data)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}


class SummedBCEVAE(_ReferenceVAE):
    """The Keras example's and the PyTorch example's loss.

    Decoder outputs are probabilities; the loss is binary cross-entropy on them
    (clipped, as Keras does), summed over pixels, plus the closed-form KL.
    """

    def loss_value(self, data):
        z_mean, z_log_var = self.encoder(data)
        reconstruction = self.decoder(self.sampling([z_mean, z_log_var]))
        bce = keras.losses.binary_crossentropy(data, reconstruction)
        reconstruction_loss = ops.mean(ops.sum(bce, axis=(1, 2)))
        kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        return reconstruction_loss + ops.mean(ops.sum(kl, axis=1))


def _log_normal_pdf(sample, mean, log_var):
    log2pi = math.log(2.0 * math.pi)
    return ops.sum(
        -0.5 * ((sample - mean) ** 2.0 * ops.exp(-log_var) + log_var + log2pi), axis=1
    )


class MonteCarloVAE(_ReferenceVAE):
    """The TF tutorial's loss: a one-sample estimate of the whole ELBO."""

    def loss_value(self, data):
        mean, log_var = self.encoder(data)
        z = self.sampling([mean, log_var])
        logits = self.decoder(z)
        cross_ent = tf.nn.sigmoid_cross_entropy_with_logits(logits=logits, labels=data)
        log_px_z = -ops.sum(cross_ent, axis=(1, 2, 3))
        log_pz = _log_normal_pdf(z, 0.0, 0.0)
        log_qz_x = _log_normal_pdf(z, mean, log_var)
        return -ops.mean(log_px_z + log_pz - log_qz_x)


def as_gdl_vae(model: keras.Model, recipe: Recipe) -> gdl_vae.VAE:
    """The trained reference as a gdl_vae.VAE, for gdl_vae's ELBO and IWAE code.

    A decoder that outputs probabilities gets logits log(p / (1 - p)), with p
    clipped to [1e-7, 1 - 1e-7] exactly as the binary cross-entropy it was
    trained with clips it.
    """
    decoder = model.decoder
    if recipe.decoder_outputs == "probabilities":
        z = keras.Input(shape=decoder.input_shape[1:])
        p = ops.clip(decoder(z), 1e-7, 1.0 - 1e-7)
        decoder = keras.Model(z, ops.log(p) - ops.log1p(-p))
    if isinstance(model, gdl_vae.VAE):
        return model
    return gdl_vae.VAE(model.encoder, decoder)


def _compiled(model: keras.Model, learning_rate: float, **options) -> keras.Model:
    model.compile(keras.optimizers.Adam(learning_rate), **options)
    return model


def _keras_example(seed=None, **options):
    return _compiled(
        SummedBCEVAE(*keras_example_networks(2), seed=seed), 1e-3, **options
    )


def _tf_cvae_tutorial(seed=None, **options):
    return _compiled(MonteCarloVAE(*tf_cvae_networks(2), seed=seed), 1e-4, **options)


def _pytorch_example(seed=None, **options):
    model = SummedBCEVAE(*pytorch_example_networks(20), seed=seed)
    return _compiled(model, 1e-3, **options)


def _keras_example_logits(seed=None, **options):
    model = gdl_vae.VAE(*keras_example_networks(2, logits=True), seed=seed)
    options.setdefault("steps_per_execution", gdl_vae.models.STEPS_PER_EXECUTION)
    return _compiled(model, 1e-3, **options)


def gdl_vae_recipe(
    name: str,
    latent_dim: int,
    architecture: str,
    *,
    model: str = "vae",
    lr_decay: float | None = None,
    **options,
):
    """A recipe of the kit's own, the registered `model`'s builder called with
    (latent_dim, architecture, **options), batch 128; its source is that
    call, written from the arguments themselves."""
    entry = gdl_vae.models.registry.get(model)
    builder = entry.load_builder()
    args = (latent_dim, architecture)
    said = [*map(_literal, args), *(f"{k}={_literal(v)}" for k, v in options.items())]
    registered = (model, {"latent_dim": latent_dim, "architecture": architecture,
                          **options})  # fmt: skip

    def build(seed=None, dtype_policy=None, **compile_options):
        model = builder(*args, dtype_policy=dtype_policy, seed=seed, **options)
        if not compile_options:
            return model
        compile_options.setdefault(
            "steps_per_execution", gdl_vae.models.STEPS_PER_EXECUTION
        )
        return _compiled(model, 1e-3, **compile_options)

    source = f"gdl_vae.{builder.__name__}({', '.join(said)})"
    layers = 2 if model == "hvae" else 1
    return Recipe(name, source, latent_dim, 128, build, lr_decay=lr_decay,
                  registered=registered, layers=layers)  # fmt: skip


def _literal(value) -> str:
    """A value as Python code, strings in double quotes (the house style)."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


KERAS_EXAMPLE = Recipe(
    "keras_example", "keras.io/examples/generative/vae", 2, 128,
    _keras_example, decoder_outputs="probabilities",
)  # fmt: skip
TF_CVAE_TUTORIAL = Recipe(
    "tf_cvae_tutorial", "tensorflow.org/tutorials/generative/cvae", 2, 32,
    _tf_cvae_tutorial,
)  # fmt: skip
PYTORCH_EXAMPLE = Recipe(
    "pytorch_example", "github.com/pytorch/examples/tree/main/vae", 20, 128,
    _pytorch_example, decoder_outputs="probabilities",
)  # fmt: skip
# The Keras example's networks with a logits decoder, trained by gdl_vae.VAE:
# what gdl_vae's loss and train_step change on their own.
KERAS_EXAMPLE_LOGITS = Recipe(
    "keras_example networks, gdl_vae loss", "keras_example, logits out", 2, 128,
    _keras_example_logits,
)  # fmt: skip
GDL_CONV = gdl_vae_recipe("gdl_vae conv (default)", 2, "conv")
GDL_DENSE = gdl_vae_recipe("gdl_vae dense", 2, "dense")
GDL_DENSE_20 = gdl_vae_recipe("gdl_vae dense, latent 20", 20, "dense")
GDL_DENSE_32 = gdl_vae_recipe("gdl_vae dense, latent 32", 32, "dense")
GDL_IWAE_5 = gdl_vae_recipe("gdl_vae IWAE, k = 5", 32, "dense", k=5)
GDL_IWAE_50 = gdl_vae_recipe("gdl_vae IWAE, k = 50", 32, "dense", k=50)
GDL_DREG_5 = gdl_vae_recipe("gdl_vae IWAE, k = 5, DReG", 32, "dense", k=5, dreg=True)
GDL_DREG_50 = gdl_vae_recipe("gdl_vae IWAE, k = 50, DReG", 32, "dense", k=50, dreg=True)
GDL_VAMP = gdl_vae_recipe("gdl_vae VampPrior, K = 500", 32, "dense", prior="vamp")
# The best combination found by measurement (benchmarks/results.md): the
# VampPrior with 100 pseudo-inputs, and a learning rate that decays with the
# clock to a tenth of its start.
GDL_BEST = gdl_vae_recipe(
    "gdl_vae VampPrior, K = 100, decay", 32, "dense", prior="vamp",
    n_pseudo_inputs=100, lr_decay=0.1,
)  # fmt: skip
# The same recipe with two stochastic layers (gdl_vae/models/hierarchical.py):
# z = [z1, z2], 32 dimensions each, the VampPrior on z2.
GDL_HVAE = gdl_vae_recipe(
    "gdl_vae two layers, VampPrior, K = 100, decay", 64, "dense", model="hvae",
    top_dim=32, prior="vamp", n_pseudo_inputs=100, lr_decay=0.1,
)  # fmt: skip
REFERENCES = (KERAS_EXAMPLE, TF_CVAE_TUTORIAL, PYTORCH_EXAMPLE)
