"""Encoder and decoder builders: convolutional, dense, and linear architectures.

Decoders output logits (one per pixel); losses use logits, which is numerically
stable, and a Bernoulli distribution is one logit away. The linear architecture
(one affine map each way) is the autoencoder that PCA explains; trained with
squared error, its decoder's output is the image itself. Output layers stay in
float32 under a mixed-precision policy so that losses are computed in float32.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from gdl_vae.data.specs import IMAGE_SHAPE
from gdl_vae.models.configs import ARCHITECTURES

CONV_FILTERS = (32, 64)
HIDDEN_UNITS = 256
DENSE_UNITS = (512, 256)


def _check(latent_dim: int, architecture: str, image_shape: Sequence[int]) -> None:
    if (
        not isinstance(latent_dim, int)
        or isinstance(latent_dim, bool)
        or latent_dim < 1
    ):
        raise ValueError(
            f"latent_dim must be a whole number >= 1; got {latent_dim!r}. "
            "Fix: latent_dim=2 to plot the latent space, 16-64 for quality."
        )
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"architecture must be one of {', '.join(ARCHITECTURES)}; "
            f"got {architecture!r}."
        )
    if len(image_shape) != 3:
        raise ValueError(
            f"image_shape must be (height, width, channels); got {image_shape}."
        )
    if architecture == "conv" and (image_shape[0] % 4 or image_shape[1] % 4):
        raise ValueError(
            f"the conv architecture halves the image twice, so height and width must "
            f"be multiples of 4; got {tuple(image_shape)}. Fix: pad the images or use "
            "architecture='dense'."
        )


def build_encoder(
    latent_dim: int = 2,
    architecture: str = "conv",
    image_shape: Sequence[int] = IMAGE_SHAPE,
    variational: bool = True,
    dtype: str | None = None,
) -> keras.Model:
    """Image -> [z_mean, z_log_var] (variational) or image -> code z."""
    _check(latent_dim, architecture, image_shape)
    images = keras.Input(shape=tuple(image_shape), name="images")
    h = images
    if architecture == "conv":
        for filters in CONV_FILTERS:
            h = layers.Conv2D(
                filters, 3, strides=2, padding="same", activation="relu", dtype=dtype
            )(h)
        h = layers.Flatten(dtype=dtype)(h)
        h = layers.Dense(HIDDEN_UNITS, activation="relu", dtype=dtype)(h)
    elif architecture == "dense":
        h = layers.Flatten(dtype=dtype)(h)
        for units in DENSE_UNITS:
            h = layers.Dense(units, activation="relu", dtype=dtype)(h)
    else:  # linear: the code is an affine function of the pixels
        h = layers.Flatten(dtype=dtype)(h)
    if not variational:
        z = layers.Dense(latent_dim, dtype="float32", name="z")(h)
        return keras.Model(images, z, name=f"{architecture}_encoder")
    z_mean = layers.Dense(latent_dim, dtype="float32", name="z_mean")(h)
    z_log_var = layers.Dense(latent_dim, dtype="float32", name="z_log_var")(h)
    return keras.Model(images, [z_mean, z_log_var], name=f"{architecture}_encoder")


def build_decoder(
    latent_dim: int = 2,
    architecture: str = "conv",
    image_shape: Sequence[int] = IMAGE_SHAPE,
    dtype: str | None = None,
) -> keras.Model:
    """Latent z -> pixel logits of shape image_shape (mirror of build_encoder)."""
    _check(latent_dim, architecture, image_shape)
    height, width, channels = image_shape
    z = keras.Input(shape=(latent_dim,), name="z")
    if architecture == "conv":
        small = (height // 4, width // 4, CONV_FILTERS[-1])
        h = layers.Dense(HIDDEN_UNITS, activation="relu", dtype=dtype)(z)
        h = layers.Dense(
            small[0] * small[1] * small[2], activation="relu", dtype=dtype
        )(h)
        h = layers.Reshape(small, dtype=dtype)(h)
        # Exact mirror of the encoder: each transposed convolution doubles the
        # size; the last one outputs the logits at full resolution.
        for filters in reversed(CONV_FILTERS[:-1]):
            h = layers.Conv2DTranspose(
                filters, 3, strides=2, padding="same", activation="relu", dtype=dtype
            )(h)
        logits = layers.Conv2DTranspose(
            channels, 3, strides=2, padding="same", dtype="float32", name="logits"
        )(h)
    else:
        h = z
        if architecture == "dense":
            for units in reversed(DENSE_UNITS):
                h = layers.Dense(units, activation="relu", dtype=dtype)(h)
        h = layers.Dense(height * width * channels, dtype="float32", name="logits")(h)
        logits = layers.Reshape(tuple(image_shape), dtype="float32")(h)
    return keras.Model(z, logits, name=f"{architecture}_decoder")


def build_critic(
    architecture: str = "conv",
    image_shape: Sequence[int] = IMAGE_SHAPE,
    dtype: str | None = None,
) -> keras.Model:
    """Image -> one number: the encoder's network with a scalar output.

    ACAI's critic, which guesses how much of a mix an image is (0 for a real
    image, up to 0.5 for an even mix of two codes).
    """
    _check(1, architecture, image_shape)
    encoder = build_encoder(1, architecture, image_shape, False, dtype)
    score = layers.Reshape((), dtype="float32", name="score")(encoder.output)
    return keras.Model(encoder.input, score, name=f"{architecture}_critic")
