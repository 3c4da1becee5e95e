"""The variational autoencoder: q(z|x), the prior N(0, I), and the ELBO as loss."""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops

from gdl_vae.data.checks import check_images
from gdl_vae.data.specs import IMAGE_SHAPE
from gdl_vae.models import bounds
from gdl_vae.models.base import LatentModel, batched, check_count, compile_with_adam
from gdl_vae.models.layers import Sampling
from gdl_vae.models.networks import build_decoder, build_encoder

tfd = tfp.distributions


KL_TERMS = ("both", "mean", "variance")


@keras.saving.register_keras_serializable(package="gdl_vae")
class VAE(LatentModel):
    """Variational autoencoder: loss = reconstruction + beta * KL(q(z|x) || N(0, I)).

    kl_term picks what the loss keeps of the KL (its value is logged as
    kl_loss): "both" (the ELBO's KL), "mean" (1/2 ||mu||^2 only: nothing pulls
    sigma towards 1) or "variance" (1/2 sum (sigma^2 - 1 - log sigma^2) only:
    nothing pulls mu towards 0). sigma stays learned in all three. The bounds
    (elbo, iwae_bound) always use the whole KL: they score the model, not its
    training objective.

    fixed_scale freezes the encoder's standard deviation at one value for every
    image and dimension (the encoder's log-variance output is ignored). With
    fixed_scale=1 the KL term is only its mean part, ||mu||^2 / 2, but the
    variance term's optimum is imposed as a constraint: to see what the
    variance term itself does, keep sigma learned and use kl_term instead.
    """

    loss_names = ("loss", "reconstruction_loss", "kl_loss")
    has_prior = True
    has_bound = True

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        beta: float = 1.0,
        seed: int | None = None,
        fixed_scale: float | None = None,
        kl_term: str = "both",
        **kwargs,
    ):
        super().__init__(encoder, decoder, **kwargs)
        if kl_term not in KL_TERMS:
            raise ValueError(f"kl_term must be one of {KL_TERMS}; got {kl_term!r}.")
        if not beta >= 0:
            raise ValueError(f"beta must be >= 0; got {beta}. beta=1 is the ELBO.")
        if fixed_scale is not None and not fixed_scale > 0:
            raise ValueError(f"fixed_scale must be > 0 or None; got {fixed_scale}.")
        if self.reconstruction != "bernoulli":
            raise ValueError(
                "a VAE's likelihood is Bernoulli (its bounds are in nats); got "
                f"reconstruction={self.reconstruction!r}."
            )
        self.seed = seed
        self.fixed_scale = fixed_scale
        self.kl_term = kl_term
        if fixed_scale is not None and len(encoder.outputs) == 2:
            # The log-variance head is ignored: freeze the layer that computes
            # it, so the optimizer expects no gradient for its weights.
            encoder.outputs[1]._keras_history.operation.trainable = False
        self.sampling = Sampling(seed=seed, name="sampling")
        # A variable, so that a callback can anneal it without retracing.
        self.beta = keras.Variable(beta, trainable=False, dtype="float32", name="beta")

    def posterior_parameters(self, x, training: bool = False) -> tuple:
        """(mean, log-variance) of q(z|x), each (N, latent_dim)."""
        z_mean, z_log_var = self.encoder(x, training=training)
        if self.fixed_scale is not None:
            z_log_var = ops.full_like(z_mean, 2.0 * math.log(self.fixed_scale))
        return z_mean, z_log_var

    def posterior(self, z_mean, z_log_var) -> tfd.Distribution:
        """q(z|x): a diagonal Gaussian, batch shape [N], event shape [latent_dim]."""
        return tfd.MultivariateNormalDiag(
            loc=z_mean, scale_diag=ops.exp(0.5 * z_log_var)
        )

    def prior(self) -> tfd.Distribution:
        """p(z) = N(0, I)."""
        return tfd.MultivariateNormalDiag(loc=tf.zeros(self.latent_dim))

    def loss_terms(self, x, training: bool = False) -> dict:
        z_mean, z_log_var = self.posterior_parameters(x, training=training)
        z = self.sampling([z_mean, z_log_var])
        logits = self.decoder(z, training=training)
        reconstruction = self.reconstruction_loss(x, logits)
        if self.kl_term == "both":
            kl = tfd.kl_divergence(self.posterior(z_mean, z_log_var), self.prior())
        else:
            kl = bounds.kl_term_values(z_mean, z_log_var)[self.kl_term]
        kl = ops.mean(kl)
        return {
            "loss": reconstruction + self.beta * kl,
            "reconstruction_loss": reconstruction,
            "kl_loss": kl,
        }

    def call(self, x, training: bool = False):
        z_mean, z_log_var = self.posterior_parameters(x, training=training)
        z = self.sampling([z_mean, z_log_var]) if training else z_mean
        return ops.sigmoid(self.decoder(z, training=training))

    def encode(self, x) -> tfd.Distribution:
        """q(z|x) for each image: call .mean(), .stddev(), .sample() on it."""
        check_images(x, self.image_shape)
        return self.posterior(*batched(self.posterior_parameters, x))

    def codes(self, x) -> np.ndarray:
        """The posterior means E[z|x], shape (N, latent_dim): one point per image."""
        return ops.convert_to_numpy(self.encode(x).mean())

    def decode(self, z) -> tfd.Distribution:
        """p(x|z): a distribution over images, event shape image_shape."""
        return self.likelihood(batched(self.decoder, self._check_latent(z)))

    def latent_samples(
        self, n: int, seed: int | None = None, codes: np.ndarray | None = None
    ) -> np.ndarray:
        """n draws z ~ N(0, I) from the prior, (n, latent_dim); codes is unused."""
        rng = np.random.default_rng(seed)
        return rng.standard_normal((check_count(n), self.latent_dim)).astype(np.float32)

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """n new images in [0, 1]: z ~ N(0, I), then the decoder's pixel means."""
        return self.decode_mean(self.latent_samples(n, seed))

    def elbo(self, x, n_samples: int = 1, seed: int | None = None) -> np.ndarray:
        """Per-example evidence lower bound in nats, shape (N,)."""
        return bounds.elbo(self, x, n_samples=n_samples, seed=seed)

    def iwae_bound(self, x, k: int = 1000, seed: int | None = None) -> np.ndarray:
        """Per-example importance-weighted bound (Burda et al. 2016) in nats."""
        return bounds.iwae_bound(self, x, k=k, seed=seed)

    def get_config(self) -> dict:
        beta = float(self.beta.numpy())
        return {
            **super().get_config(),
            "beta": beta,
            "seed": self.seed,
            "fixed_scale": self.fixed_scale,
            "kl_term": self.kl_term,
        }


def build_vae(
    latent_dim: int = 2,
    architecture: str = "conv",
    *,
    image_shape: Sequence[int] = IMAGE_SHAPE,
    learning_rate: float = 1e-3,
    dtype_policy: str | None = None,
    seed: int | None = None,
    steps_per_execution: int | None = None,
    beta: float = 1.0,
    fixed_scale: float | None = None,
    kl_term: str = "both",
) -> VAE:
    """A compiled VAE (Adam) ready for fit().

    Args:
        latent_dim: size of z; 2 to plot the latent space, 16-64 for quality.
        architecture: "conv", "dense" or "linear" (networks.py).
        image_shape: (height, width, channels) of the images.
        learning_rate: Adam's step size.
        dtype_policy: a Keras dtype policy ("mixed_float16", ...); None keeps
            the global one. Output layers and losses stay float32.
        seed: seeds the reparameterization noise (the Sampling layer).
        steps_per_execution: training steps per compiled call; None picks
            base.STEPS_PER_EXECUTION (1 under tf.distribute).
        beta: weight of the KL term; 1 is the ELBO.
        fixed_scale: freeze q(z|x)'s standard deviation at this value (see VAE).
        kl_term: "both", "mean" or "variance": the part of the KL the loss keeps
            (see VAE); sigma is learned in each.

    Example:
        >>> vae = build_vae(2, "dense", seed=0)
        >>> vae.fit(make_dataset(x_train, 128, "dynamic", seed=0), epochs=5)
        >>> vae.elbo(held_out).mean()  # nats per image
    """
    model = VAE(
        build_encoder(latent_dim, architecture, image_shape, True, dtype_policy),
        build_decoder(latent_dim, architecture, image_shape, dtype_policy),
        beta=beta,
        seed=seed,
        fixed_scale=fixed_scale,
        kl_term=kl_term,
        name="vae",
        dtype=dtype_policy,
    )
    return compile_with_adam(model, learning_rate, steps_per_execution)
