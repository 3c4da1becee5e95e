"""ACAI: an autoencoder whose interpolations are trained to look real."""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import tensorflow as tf
from keras import ops

from gdl_vae.data.specs import IMAGE_SHAPE
from gdl_vae.models.autoencoder import Autoencoder
from gdl_vae.models.base import batch_images, compile_with_adam
from gdl_vae.models.checks import acai_options
from gdl_vae.models.networks import build_critic, build_decoder, build_encoder


@keras.saving.register_keras_serializable(package="gdl_vae")
class ACAI(Autoencoder):
    """Adversarially Constrained Autoencoder Interpolation (Berthelot, Raffel,
    Roy & Goodfellow, ICLR 2019): an autoencoder whose mixes of two codes must
    decode to images a critic cannot tell from unmixed ones.

    Each training step pairs every code z1 in the batch with another, z2, and a
    weight alpha ~ U[0, 0.5], and decodes the mix alpha * z1 + (1 - alpha) * z2.
      critic:      learns to say alpha from the decoded mix, and 0 for a real
                   image (a blend gamma * x + (1 - gamma) * reconstruction, so
                   that it cannot win by spotting reconstruction blur alone);
      autoencoder: reconstruction + lambda * critic(mix)^2, so that mixes look
                   unmixed to the critic.
    Both networks are updated from the same forward pass, each by its own Adam.

    The paper averages its squared error over pixels; here the reconstruction
    term is summed over pixels (nats per image, like the other models), so the
    penalty is summed over pixels too: lambda = 0.5 keeps the paper's balance.
    """

    loss_names = (
        "loss",
        "reconstruction_loss",
        "adversarial_loss",
        "critic_loss",
        "critic_mix_loss",
        "critic_real_loss",
    )

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        critic: keras.Model,
        adversarial_weight: float = 0.5,
        gamma: float = 0.2,
        critic_learning_rate: float = 1e-4,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(encoder, decoder, **kwargs)
        acai_options(adversarial_weight, gamma)
        self.critic = critic
        self.adversarial_weight = adversarial_weight
        self.gamma = gamma
        self.critic_learning_rate = critic_learning_rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        optimizer = keras.optimizers.Adam(critic_learning_rate)
        if self.dtype_policy.name == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        # Built now, so that a saved model's critic optimizer loads into it.
        optimizer.build(critic.trainable_variables)
        self.critic_optimizer = optimizer

    @property
    def autoencoder_weights(self) -> list:
        """The weights the reconstruction and adversarial terms train."""
        return self.encoder.trainable_weights + self.decoder.trainable_weights

    def compile(self, optimizer="adam", **kwargs):
        super().compile(optimizer=optimizer, **kwargs)
        # The optimizer trains the autoencoder only; the critic has its own.
        self.optimizer.build(self.autoencoder_weights)

    def compile_from_config(self, config: dict) -> None:
        self.compile(**keras.saving.deserialize_keras_object(config))

    def mix(self, z):
        """(alpha, mixed codes): each code mixed with the batch's code in
        reverse order, alpha ~ U[0, 0.5] per pair, (B,) and (B, latent_dim)."""
        u = keras.random.uniform((ops.shape(z)[0],), seed=self.seed_generator)
        alpha = 0.5 - ops.abs(u - 0.5)  # folds U[0, 1] onto [0, 0.5]
        partner = ops.flip(z, axis=0)
        return alpha, alpha[:, None] * z + (1.0 - alpha[:, None]) * partner

    def loss_terms(self, x, training: bool = False) -> dict:
        z = self.encoder(x, training=training)
        logits = self.decoder(z, training=training)
        reconstruction = self.reconstruction_loss(x, logits)
        alpha, z_mix = self.mix(z)
        mixed = self.mean_image(self.decoder(z_mix, training=training))
        guess = self.critic(mixed, training=training)
        pixels = math.prod(self.image_shape)
        adversarial = ops.mean(ops.square(guess))
        # The critic's real examples: x blended with its reconstruction.
        blend = self.gamma * x + (1.0 - self.gamma) * self.mean_image(logits)
        real = ops.mean(ops.square(self.critic(blend, training=training)))
        mix_error = ops.mean(ops.square(guess - alpha))
        return {
            "loss": reconstruction + self.adversarial_weight * pixels * adversarial,
            "reconstruction_loss": reconstruction,
            "adversarial_loss": adversarial,
            "critic_loss": mix_error + real,
            "critic_mix_loss": mix_error,
            "critic_real_loss": real,
        }

    def train_step(self, data):
        x = batch_images(data)
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        with tf.GradientTape() as tape, tf.GradientTape() as critic_tape:
            terms = self.loss_terms(x, training=True)
            loss = self.optimizer.scale_loss(terms["loss"] / replicas)
            critic_loss = self.critic_optimizer.scale_loss(
                terms["critic_loss"] / replicas
            )
        weights = self.autoencoder_weights
        gradients = tape.gradient(loss, weights)
        self.optimizer.apply_gradients(zip(gradients, weights, strict=True))
        critic_weights = self.critic.trainable_weights
        critic_gradients = critic_tape.gradient(critic_loss, critic_weights)
        self.critic_optimizer.apply_gradients(
            zip(critic_gradients, critic_weights, strict=True)
        )
        return self._record(terms)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "critic": keras.saving.serialize_keras_object(self.critic),
            "adversarial_weight": self.adversarial_weight,
            "gamma": self.gamma,
            "critic_learning_rate": self.critic_learning_rate,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        config["critic"] = keras.saving.deserialize_keras_object(config["critic"])
        return super().from_config(config)


def build_acai(
    latent_dim: int = 32,
    architecture: str = "conv",
    *,
    image_shape: Sequence[int] = IMAGE_SHAPE,
    learning_rate: float = 1e-4,
    dtype_policy: str | None = None,
    seed: int | None = None,
    steps_per_execution: int | None = None,
    adversarial_weight: float = 0.5,
    gamma: float = 0.2,
    critic_learning_rate: float | None = None,
) -> ACAI:
    """A compiled ACAI ready for fit(): the autoencoder's networks plus a critic
    of the encoder's architecture.

    Args:
        latent_dim: size of the code.
        architecture: "conv", "dense" or "linear" (networks.py); the critic
            uses the encoder's.
        image_shape: (height, width, channels) of the images.
        learning_rate: Adam's step size for the autoencoder (paper: 1e-4).
        dtype_policy: a Keras dtype policy; None keeps the global one.
        seed: seeds the mixing weights alpha.
        steps_per_execution: training steps per compiled call; None picks
            base.STEPS_PER_EXECUTION (1 under tf.distribute).
        adversarial_weight: lambda, the weight of the critic's verdict on mixes
            in the autoencoder's loss (paper: 0.5; 0 is a plain autoencoder).
        gamma: real examples for the critic blend x and its reconstruction
            (paper: 0.2).
        critic_learning_rate: the critic's Adam step size; None uses
            learning_rate.

    Example:
        >>> acai = build_acai(32, "conv", seed=0)
        >>> acai.fit(make_dataset(x_train, 64, "dynamic", seed=0), epochs=5)
    """
    model = ACAI(
        build_encoder(latent_dim, architecture, image_shape, False, dtype_policy),
        build_decoder(latent_dim, architecture, image_shape, dtype_policy),
        build_critic(architecture, image_shape, dtype_policy),
        adversarial_weight=adversarial_weight,
        gamma=gamma,
        critic_learning_rate=(
            learning_rate if critic_learning_rate is None else critic_learning_rate
        ),
        seed=seed,
        name="acai",
        dtype=dtype_policy,
    )
    return compile_with_adam(model, learning_rate, steps_per_execution)
