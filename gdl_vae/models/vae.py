"""The variational autoencoder: q(z|x), a prior p(z), and a bound on log p(x) as loss.

The prior is N(0, I) or a VampPrior (Tomczak & Welling 2018): an equal mixture
of the encoder's own posteriors at K learned pseudo-inputs. The loss is the
negative ELBO (k = 1) or the negative importance-weighted bound with k samples
per image (IWAE, Burda, Grosse & Salakhutdinov 2016).
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops

from gdl_vae.data.checks import check_images
from gdl_vae.measure import bounds
from gdl_vae.models.base import (
    LatentModel,
    batch_images,
    batched,
    check_count,
    compile_with_adam,
)
from gdl_vae.models.configs import VAEConfig, builder
from gdl_vae.models.layers import Sampling
from gdl_vae.models.networks import build_decoder, build_encoder
from gdl_vae.models.priors import PRIORS, VampPrior

tfd = tfp.distributions


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

    prior="vamp" replaces N(0, I) by the VampPrior p(z) = 1/K sum_k q(z|u_k),
    with K = n_pseudo_inputs learned images u_k (pixels clipped to [0, 1]).
    It has no closed-form KL, so the KL is estimated from the sampled z.

    k > 1 trains on the importance-weighted bound with k samples per image
    instead of the ELBO: loss = -log (1/k) sum_i p(x|z_i) p(z_i)^beta /
    q(z_i|x)^beta. k = 1 is the ELBO itself.

    dreg=True (k > 1, N(0, I) prior) gives the encoder the doubly
    reparameterized gradient of the same bound (Tucker, Lawson, Gu & Maddison
    2019): the score term of log q, which leaves the plain estimate noisier
    relative to its size as k grows (Rainforth et al. 2018), is replaced by a
    path term equal to it in expectation, so each log w_i reaches the encoder
    only through z_i, weighted by w~_i^2 (w~ the normalized weights). The
    decoder's gradient and the loss's value are unchanged.
    """

    loss_names = ("loss", "reconstruction_loss", "kl_loss")
    has_prior = True
    has_bound = True
    config_class = VAEConfig

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        seed: int | None = None,
        **kwargs,
    ):
        options = self.config_class.take(kwargs)  # beta, prior, ...: checked
        super().__init__(encoder, decoder, **kwargs)
        if self.reconstruction != "bernoulli":
            raise ValueError(
                "a VAE's likelihood is Bernoulli (its bounds are in nats); got "
                f"reconstruction={self.reconstruction!r}."
            )
        self.seed = seed
        # A subclass's config may leave out the one-layer VAE's own options.
        self.fixed_scale = options.get("fixed_scale")
        self.kl_term = options.get("kl_term", "both")
        self.n_pseudo_inputs, self.k = (
            int(options["n_pseudo_inputs"]),
            int(options["k"]),
        )
        self.dreg = bool(options.get("dreg", False))
        self.pseudo_inputs = None
        self.prior = self.make_prior(options)  # p(z): models/priors.py
        if self.fixed_scale is not None and len(encoder.outputs) == 2:
            # The log-variance head is ignored: freeze the layer that computes
            # it, so the optimizer expects no gradient for its weights.
            encoder.outputs[1]._keras_history.operation.trainable = False
        self.sampling = Sampling(seed=seed, name="sampling")
        # A variable, so that a callback can anneal it without retracing.
        beta = options["beta"]
        self.beta = keras.Variable(beta, trainable=False, dtype="float32", name="beta")
        self.keep_options(options)  # a subclass's own, as attributes

    def make_prior(self, options: dict):
        """p(z): the prior options["prior"] names (priors.PRIORS), for this VAE."""
        return PRIORS[options["prior"]](self)

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

    @property
    def analytic_kl(self) -> bool:
        """Whether KL(q(z|x) || p(z)) has a closed form (the N(0, I) prior)."""
        return self.prior.analytic_kl

    def pseudo_images(self):
        """The VampPrior's pseudo-inputs as images, pixels in [0, 1]."""
        prior = getattr(self.prior, "top", self.prior)  # a hierarchy's: p(z_top)
        if not isinstance(prior, VampPrior):
            raise ValueError("this VAE's prior is N(0, I): it has no pseudo-inputs.")
        return prior.pseudo_images()

    def loss_terms(self, x, training: bool = False) -> dict:
        z_mean, z_log_var = self.posterior_parameters(x, training=training)
        if self.k > 1 or not self.analytic_kl:
            return self._sampled_loss_terms(x, z_mean, z_log_var, training)
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

    def _sampled_loss_terms(self, x, z_mean, z_log_var, training: bool) -> dict:
        """The loss from k draws z_i ~ q(z|x) per image, the KL estimated from them.

        log w_i = log p(x|z_i) + beta (log p(z_i) - log q(z_i|x)); the loss is
        -log mean_i w_i: the negative ELBO with an estimated KL at k = 1, the
        negative IWAE bound above.
        """
        k, batch = self.k, ops.shape(z_mean)[0]
        shape = (k, batch, self.latent_dim)
        z = self.sampling(
            [ops.broadcast_to(z_mean, shape), ops.broadcast_to(z_log_var, shape)]
        )  # [k, batch, latent_dim]: k draws per image
        logits = self.decoder(ops.reshape(z, (-1, self.latent_dim)), training=training)
        logits = ops.reshape(logits, (k, batch, *self.image_shape))
        log_px_z = self.likelihood(logits).log_prob(x)  # [k, batch]
        if self.dreg:  # log q's parameters held fixed: z alone carries the gradient
            z_mean, z_log_var = ops.stop_gradient(z_mean), ops.stop_gradient(z_log_var)
        log_q = self.posterior(z_mean, z_log_var).log_prob(z)
        log_ratio = self.prior.log_prob(z) - log_q
        log_w = log_px_z + self.beta * log_ratio
        bound = ops.logsumexp(log_w, axis=0) - math.log(k)
        terms = {
            "loss": -ops.mean(bound),
            "reconstruction_loss": -ops.mean(log_px_z),
            "kl_loss": -ops.mean(log_ratio),
        }
        if self.dreg:
            terms["encoder_loss"] = self._dreg_surrogate(log_w)
        return terms

    def _dreg_surrogate(self, log_w):
        """A loss whose gradient for the encoder is DReG's estimate (Tucker et al.).

        The bound's encoder gradient is sum_i w~_i d log w_i / d phi, and the part
        of it that goes through log q's parameters equals, in expectation,
        -beta sum_i (w~_i - w~_i^2) d log w_i / d z_i dz_i / d phi. With log q's
        parameters stopped, what is left is sum_i c_i d log w_i / d phi with
        c_i = (1 - beta) w~_i + beta w~_i^2: w~_i^2 at beta = 1.
        """
        w = ops.stop_gradient(ops.softmax(log_w, axis=0))  # [k, batch], sums to 1
        c = (1.0 - self.beta) * w + self.beta * ops.square(w)
        return -ops.mean(ops.sum(c * log_w, axis=0))

    def train_step(self, data):
        if not self.dreg:
            return super().train_step(data)
        x = batch_images(data)
        with tf.GradientTape(persistent=True) as tape:
            terms = self.loss_terms(x, training=True)
        # The encoder descends DReG's surrogate, the decoder the bound; in the
        # order of self.trainable_weights, the optimizer's own (saving needs it).
        self.descend(
            tape,
            [
                (terms["encoder_loss"], self.encoder.trainable_weights),
                (terms["loss"], self.decoder.trainable_weights),
            ],
        )
        return self._record(terms)

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
        """n draws z ~ p(z) from the prior, (n, latent_dim); codes is unused."""
        return self.prior.sample(check_count(n), np.random.default_rng(seed))

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """n new images in [0, 1]: z ~ p(z), then the decoder's pixel means."""
        return self.decode_mean(self.latent_samples(n, seed))

    def elbo(self, x, n_samples: int = 1, seed: int | None = None) -> np.ndarray:
        """Per-example evidence lower bound in nats, shape (N,)."""
        return bounds.elbo(self, x, n_samples=n_samples, seed=seed)

    def iwae_bound(self, x, k: int = 1000, seed: int | None = None) -> np.ndarray:
        """Per-example importance-weighted bound (Burda et al. 2016) in nats."""
        return bounds.iwae_bound(self, x, k=k, seed=seed)

    def iwae_bounds(self, x, ks, seed: int | None = None) -> np.ndarray:
        """The importance-weighted bound for each k in ks, (N, len(ks)), from one
        set of max(ks) draws per image (bounds.iwae_bounds)."""
        return bounds.iwae_bounds(self, x, ks, seed=seed)

    def options(self) -> dict:
        return {
            **super().options(),
            "beta": float(self.beta.numpy()),  # as annealed so far
            "prior": self.prior.name,
        }

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}


@builder(VAEConfig)
def build_vae(
    config: VAEConfig, *, image_shape, dtype_policy, seed, steps_per_execution
) -> VAE:
    """A compiled VAE (Adam) ready for fit().

    latent_dim: 2 to plot the latent space, 16-64 for quality. The options
    are the VAE's (see VAE); seed seeds the reparameterization noise (the
    Sampling layer).

    Example:
        >>> vae = build_vae(2, "dense", seed=0)
        >>> vae.fit(make_dataset(x_train, 128, "dynamic", seed=0), epochs=5)
        >>> vae.elbo(held_out).mean()  # nats per image
    """
    dim, architecture = config.latent_dim, config.architecture
    model = VAE(
        build_encoder(dim, architecture, image_shape, True, dtype_policy),
        build_decoder(dim, architecture, image_shape, dtype_policy),
        seed=seed,
        **config.model_options(),
        name="vae",
        dtype=dtype_policy,
    )
    return compile_with_adam(model, config.learning_rate, steps_per_execution)
