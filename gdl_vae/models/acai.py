"""ACAI: an autoencoder whose interpolations are trained to look real."""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import ops

from gdl_vae.models.autoencoder import Autoencoder
from gdl_vae.models.base import batch_images, compile_with_adam
from gdl_vae.models.configs import ACAIConfig, builder
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
    config_class = ACAIConfig

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        critic: keras.Model,
        seed: int | None = None,
        **kwargs,
    ):
        options = self.config_class.take(kwargs)  # lambda, gamma, ...: checked
        super().__init__(encoder, decoder, **kwargs)
        self.critic = critic
        self.adversarial_weight = options["adversarial_weight"]
        self.gamma = options["gamma"]
        self.critic_learning_rate = options["critic_learning_rate"]
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        optimizer = keras.optimizers.Adam(self.critic_learning_rate)
        if self.dtype_policy.name == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        # Built now, so that a saved model's critic optimizer loads into it.
        optimizer.build(critic.trainable_variables)
        self.critic_optimizer = optimizer
        self.keep_options(options)  # a subclass's own, as attributes

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
        return mix_codes(z, u)

    def loss_terms(self, x, training: bool = False) -> dict:
        z = self.encoder(x, training=training)
        logits = self.decoder(z, training=training)
        reconstruction = self.reconstruction_loss(x, logits)
        alpha, z_mix = self.mix(z)
        mixed = self.mean_image(self.decoder(z_mix, training=training))
        guess = self.critic(mixed, training=training)
        pixels = math.prod(self.image_shape)
        # The critic's real examples: x blended with its reconstruction.
        blend = self.gamma * x + (1.0 - self.gamma) * self.mean_image(logits)
        terms = critic_losses(guess, alpha, self.critic(blend, training=training))
        return {
            "loss": reconstruction
            + self.adversarial_weight * pixels * terms["adversarial_loss"],
            "reconstruction_loss": reconstruction,
            **terms,
        }

    def train_step(self, data):
        x = batch_images(data)
        with tf.GradientTape(persistent=True) as tape:
            terms = self.loss_terms(x, training=True)
        # Each network descends its own loss with its own Adam.
        self.descend(tape, [(terms["loss"], self.autoencoder_weights)])
        self.descend(
            tape,
            [(terms["critic_loss"], self.critic.trainable_weights)],
            self.critic_optimizer,
        )
        return self._record(terms)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "critic": keras.saving.serialize_keras_object(self.critic),
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        config["critic"] = keras.saving.deserialize_keras_object(config["critic"])
        return super().from_config(config)


def mix_codes(z, u):
    """ACAI's interpolation (Berthelot et al. 2019, eq. 1): u ~ U[0, 1] per code,
    folded to alpha = 0.5 - |u - 0.5| in [0, 0.5], mixes each code with the
    batch's code in reverse order: alpha * z + (1 - alpha) * partner."""
    alpha = 0.5 - ops.abs(u - 0.5)
    partner = ops.flip(z, axis=0)
    return alpha, alpha[:, None] * z + (1.0 - alpha[:, None]) * partner


def critic_losses(guess, alpha, real_guess) -> dict:
    """ACAI's critic terms from its outputs: guess on decoded mixes, real_guess
    on real images blended with their reconstructions (eqs. 2-3). The critic
    learns to say alpha for mixes and 0 for real images; the autoencoder learns
    to make the critic say 0 for its mixes (adversarial_loss)."""
    mix_error = ops.mean(ops.square(guess - alpha))
    real = ops.mean(ops.square(real_guess))
    return {
        "adversarial_loss": ops.mean(ops.square(guess)),
        "critic_loss": mix_error + real,
        "critic_mix_loss": mix_error,
        "critic_real_loss": real,
    }


@builder(ACAIConfig)
def build_acai(
    config: ACAIConfig, *, image_shape, dtype_policy, seed, steps_per_execution
) -> ACAI:
    """A compiled ACAI ready for fit(): the autoencoder's networks plus a critic
    of the encoder's architecture. The defaults are the paper's: a 32-D code,
    lambda 0.5, gamma 0.2, Adam at 1e-4 for both networks. seed seeds the
    mixing weights alpha.

    Example:
        >>> acai = build_acai(32, "conv", seed=0)
        >>> acai.fit(make_dataset(x_train, 64, "dynamic", seed=0), epochs=5)
    """
    dim, architecture = config.latent_dim, config.architecture
    model = ACAI(
        build_encoder(dim, architecture, image_shape, False, dtype_policy),
        build_decoder(dim, architecture, image_shape, dtype_policy),
        build_critic(architecture, image_shape, dtype_policy),
        seed=seed,
        **config.model_options(),
        name="acai",
        dtype=dtype_policy,
    )
    return compile_with_adam(model, config.learning_rate, steps_per_execution)
