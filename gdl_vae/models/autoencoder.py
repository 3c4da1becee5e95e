"""The deterministic autoencoder: encoder to a code, decoder back."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import ops

from gdl_vae.data.checks import check_images
from gdl_vae.data.specs import IMAGE_SHAPE
from gdl_vae.models.base import LatentModel, batched, compile_with_adam
from gdl_vae.models.networks import build_decoder, build_encoder


@keras.saving.register_keras_serializable(package="gdl_vae")
class Autoencoder(LatentModel):
    """A deterministic autoencoder trained on reconstruction error.

    reconstruction="bernoulli" (the default) is the Bernoulli NLL of the pixels
    from logits; "mse" is the squared error, the loss under which a linear
    autoencoder finds the principal subspace.
    """

    loss_names = ("loss", "reconstruction_loss")

    def loss_terms(self, x, training: bool = False) -> dict:
        logits = self.decoder(self.encoder(x, training=training), training=training)
        reconstruction = self.reconstruction_loss(x, logits)
        return {"loss": reconstruction, "reconstruction_loss": reconstruction}

    def call(self, x, training: bool = False):
        return self.mean_image(self.decoder(self.encoder(x, training=training)))

    def encode(self, x) -> np.ndarray:
        """Latent codes of shape (N, latent_dim)."""
        check_images(x, self.image_shape)
        return ops.convert_to_numpy(batched(self.encoder, x))

    def codes(self, x) -> np.ndarray:
        """Latent codes of shape (N, latent_dim): the same as encode."""
        return self.encode(x)

    def decode(self, z) -> np.ndarray:
        """Images in [0, 1] of shape (N, *image_shape)."""
        return self.decode_mean(z)


def build_autoencoder(
    latent_dim: int = 2,
    architecture: str = "conv",
    *,
    image_shape: Sequence[int] = IMAGE_SHAPE,
    learning_rate: float = 1e-3,
    dtype_policy: str | None = None,
    seed: int | None = None,
    steps_per_execution: int | None = None,
    reconstruction: str = "bernoulli",
) -> Autoencoder:
    """A compiled Autoencoder (Adam) ready for fit().

    Args:
        latent_dim: size of the code; 2 to plot the latent space.
        architecture: "conv", "dense" or "linear" (networks.py).
        image_shape: (height, width, channels) of the images.
        learning_rate: Adam's step size.
        dtype_policy: a Keras dtype policy ("mixed_float16", ...); None keeps
            the global one.
        seed: accepted like every builder's; the autoencoder's training step
            draws no random numbers (its initial weights come from
            keras.utils.set_random_seed).
        steps_per_execution: training steps per compiled call; None picks
            base.STEPS_PER_EXECUTION (1 under tf.distribute).
        reconstruction: "bernoulli" (nats, from logits) or "mse" (squared
            error: with architecture="linear", the autoencoder that finds the
            principal subspace, notebook 05).

    Example:
        >>> ae = build_autoencoder(2, "dense")
        >>> ae.fit(make_dataset(x_train, 128, "dynamic", seed=0), epochs=5)
        >>> codes = ae.encode(x_test)  # (N, 2)
    """
    del seed  # no random draws in training; see Args
    model = Autoencoder(
        build_encoder(latent_dim, architecture, image_shape, False, dtype_policy),
        build_decoder(latent_dim, architecture, image_shape, dtype_policy),
        reconstruction=reconstruction,
        name="autoencoder",
        dtype=dtype_policy,
    )
    return compile_with_adam(model, learning_rate, steps_per_execution)
