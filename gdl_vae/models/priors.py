"""The priors p(z) a VAE can have: N(0, I) and the VampPrior.

A prior is built from its VAE (`Prior(vae)`: it may add weights to it, as the
VampPrior's pseudo-inputs) and offers what the loss and the bounds need:
`log_prob(z)`, the distribution itself (`prior()`), seeded draws (`sample`)
and whether KL(q(z|x) || p(z)) has a closed form (`analytic_kl`). A new prior,
a mixture of Gaussians say, is one subclass decorated with `@register("name")`
(tests/test_iwae_vamp.py adds one). The names of the kit's own are in
configs.PRIORS too, which the command line offers without TensorFlow.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops

from gdl_vae.models import configs

tfd = tfp.distributions
PRIORS: dict[str, type[Prior]] = {}

# The pseudo-inputs start as faint grey images (pixels about 0.05) and are
# clipped to [0, 1], the range of a pixel, as Tomczak & Welling's hardtanh does;
# inside that range the clip passes gradients through unchanged.
PSEUDO_INPUT_INIT = {"mean": 0.05, "stddev": 0.01}


def register(name: str):
    """A class decorator: the prior that VAE(prior=name) builds."""

    def add(cls: type[Prior]) -> type[Prior]:
        cls.name = name
        PRIORS[name] = cls
        if name not in configs.PRIORS:  # VAEConfig accepts it from now on
            configs.PRIORS.append(name)
        return cls

    return add


class Prior:
    """p(z) over the VAE's latent space."""

    name = ""
    title = "p(z)"  # how a figure names it: "new images: z ~ N(0, I)"
    analytic_kl = False  # KL(q(z|x) || p(z)) in closed form (tfd.kl_divergence)

    def __init__(self, vae) -> None:
        self.latent_dim = vae.latent_dim

    def __call__(self) -> tfd.Distribution:
        """p(z) as a TFP distribution, event shape [latent_dim]."""
        raise NotImplementedError

    def log_prob(self, z):
        """log p(z) for z of shape [..., latent_dim]."""
        return self().log_prob(z)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n draws, (n, latent_dim) float32, from numpy's generator rng."""
        raise NotImplementedError


@register("normal")
class NormalPrior(Prior):
    """The standard normal N(0, I): the prior of the ELBO in its textbook form."""

    title = "N(0, I)"
    analytic_kl = True

    def __call__(self) -> tfd.Distribution:
        return tfd.MultivariateNormalDiag(loc=tf.zeros(self.latent_dim))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal((n, self.latent_dim)).astype(np.float32)


@register("vamp")
class VampPrior(Prior):
    """The VampPrior (Tomczak & Welling 2018): p(z) = 1/K sum_k q(z|u_k), an
    equal mixture of the encoder's own posteriors at K learned pseudo-inputs
    u_k (pixels clipped to [0, 1]). It has no closed-form KL."""

    title = "the VampPrior"

    def __init__(self, vae) -> None:
        super().__init__(vae)
        self.n = vae.n_pseudo_inputs
        self.posterior_parameters = vae.posterior_parameters
        self.posterior = vae.posterior
        # A weight of the VAE itself: it is trained and saved with it.
        vae.pseudo_inputs = vae.add_weight(
            shape=(self.n, *vae.image_shape),
            initializer=keras.initializers.RandomNormal(**PSEUDO_INPUT_INIT),
            name="pseudo_inputs",
        )
        self.pseudo_inputs = vae.pseudo_inputs

    def pseudo_images(self):
        """The pseudo-inputs as images, pixels in [0, 1]."""
        return ops.clip(self.pseudo_inputs, 0.0, 1.0)

    def components(self) -> tuple:
        """The components q(z|u_k): means and log-variances, [K, latent_dim]."""
        return self.posterior_parameters(self.pseudo_images())

    def __call__(self) -> tfd.Distribution:
        return tfd.MixtureSameFamily(
            tfd.Categorical(logits=tf.zeros(self.n)),
            self.posterior(*self.components()),
        )

    def log_prob(self, z):
        """log p(z), computed directly: each component's squared distance
        sum_d (z_d - mu_kd)^2 / s_kd^2 expands into two matrix products, so all
        K components cost about as much as one dense layer, then a log-sum-exp.
        """
        means, log_vars = self.components()
        precision = ops.exp(-log_vars)  # [K, latent_dim]
        flat = ops.reshape(z, (-1, self.latent_dim))
        distance = (
            ops.matmul(ops.square(flat), ops.transpose(precision))
            - 2.0 * ops.matmul(flat, ops.transpose(means * precision))
            + ops.sum(ops.square(means) * precision, axis=-1)
        )  # [N, K]
        constant = ops.sum(log_vars, axis=-1) + self.latent_dim * math.log(2 * math.pi)
        log_normal = -0.5 * (distance + constant)
        log_p = ops.logsumexp(log_normal, axis=-1) - math.log(self.n)
        return ops.reshape(log_p, ops.shape(z)[:-1])

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        eps = rng.standard_normal((n, self.latent_dim)).astype(np.float32)
        means, log_vars = (ops.convert_to_numpy(t) for t in self.components())
        component = rng.integers(self.n, size=n)
        return means[component] + np.exp(0.5 * log_vars[component]) * eps
