"""The deterministic autoencoder: encoder to a code, decoder back."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from gdl_vae.data.checks import check_images
from gdl_vae.models.base import LatentModel, batched, compile_with_adam
from gdl_vae.models.configs import AutoencoderConfig, builder
from gdl_vae.models.networks import build_decoder, build_encoder


@keras.saving.register_keras_serializable(package="gdl_vae")
class Autoencoder(LatentModel):
    """A deterministic autoencoder trained on reconstruction error.

    reconstruction="bernoulli" (the default) is the Bernoulli NLL of the pixels
    from logits; "mse" is the squared error, the loss under which a linear
    autoencoder finds the principal subspace.
    """

    loss_names = ("loss", "reconstruction_loss")
    config_class = AutoencoderConfig

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


@builder(AutoencoderConfig)
def build_autoencoder(
    config: AutoencoderConfig, *, image_shape, dtype_policy, seed, steps_per_execution
) -> Autoencoder:
    """A compiled Autoencoder (Adam) ready for fit().

    Its training step draws no random numbers: seed is accepted like every
    builder's, and its initial weights come from keras.utils.set_random_seed.
    reconstruction="mse" with architecture="linear" is the autoencoder that
    finds the principal subspace (notebook 05).

    Example:
        >>> ae = build_autoencoder(2, "dense")
        >>> ae.fit(make_dataset(x_train, 128, "dynamic", seed=0), epochs=5)
        >>> codes = ae.encode(x_test)  # (N, 2)
    """
    del seed  # no random draws in training; see above
    model = Autoencoder(
        build_encoder(
            config.latent_dim, config.architecture, image_shape, False, dtype_policy
        ),
        build_decoder(
            config.latent_dim, config.architecture, image_shape, dtype_policy
        ),
        **config.model_options(),
        name="autoencoder",
        dtype=dtype_policy,
    )
    return compile_with_adam(model, config.learning_rate, steps_per_execution)
