"""The variational autoencoder: q(z|x), a prior p(z), and a bound on log p(x) as loss.

The prior is N(0, I) or a VampPrior (Tomczak & Welling 2018): an equal mixture
of the encoder's own posteriors at K learned pseudo-inputs. The loss is the
negative ELBO (k = 1) or the negative importance-weighted bound with k samples
per image (IWAE, Burda, Grosse & Salakhutdinov 2016).
"""

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
from gdl_vae.models.base import (
    LatentModel,
    batch_images,
    batched,
    check_count,
    compile_with_adam,
)
from gdl_vae.models.checks import vae_options
from gdl_vae.models.layers import Sampling
from gdl_vae.models.networks import build_decoder, build_encoder

tfd = tfp.distributions


# The pseudo-inputs start as faint grey images (pixels about 0.05) and are
# clipped to [0, 1], the range of a pixel, as Tomczak & Welling's hardtanh does;
# inside that range the clip passes gradients through unchanged.
PSEUDO_INPUT_INIT = {"mean": 0.05, "stddev": 0.01}


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

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        beta: float = 1.0,
        seed: int | None = None,
        fixed_scale: float | None = None,
        kl_term: str = "both",
        prior: str = "normal",
        n_pseudo_inputs: int = 500,
        k: int = 1,
        dreg: bool = False,
        **kwargs,
    ):
        super().__init__(encoder, decoder, **kwargs)
        vae_options(beta, prior, n_pseudo_inputs, k, dreg, kl_term, fixed_scale)
        k, n_pseudo_inputs = int(k), int(n_pseudo_inputs)
        if self.reconstruction != "bernoulli":
            raise ValueError(
                "a VAE's likelihood is Bernoulli (its bounds are in nats); got "
                f"reconstruction={self.reconstruction!r}."
            )
        self.seed = seed
        self.fixed_scale = fixed_scale
        self.kl_term = kl_term
        self.prior_name, self.n_pseudo_inputs, self.k = prior, n_pseudo_inputs, k
        self.dreg = bool(dreg)
        self.pseudo_inputs = None
        if prior == "vamp":
            self.pseudo_inputs = self.add_weight(
                shape=(n_pseudo_inputs, *self.image_shape),
                initializer=keras.initializers.RandomNormal(**PSEUDO_INPUT_INIT),
                name="pseudo_inputs",
            )
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

    @property
    def analytic_kl(self) -> bool:
        """Whether KL(q(z|x) || p(z)) has a closed form (the N(0, I) prior)."""
        return self.prior_name == "normal"

    def pseudo_images(self):
        """The VampPrior's pseudo-inputs as images, pixels in [0, 1]."""
        if self.pseudo_inputs is None:
            raise ValueError("this VAE's prior is N(0, I): it has no pseudo-inputs.")
        return ops.clip(self.pseudo_inputs, 0.0, 1.0)

    def _components(self) -> tuple:
        """The VampPrior's components q(z|u_k): means and log-variances, [K, dim]."""
        return self.posterior_parameters(self.pseudo_images())

    def prior(self) -> tfd.Distribution:
        """p(z): N(0, I), or the VampPrior's mixture of q(z|u_k) over pseudo-inputs."""
        if self.prior_name == "normal":
            return tfd.MultivariateNormalDiag(loc=tf.zeros(self.latent_dim))
        return tfd.MixtureSameFamily(
            tfd.Categorical(logits=tf.zeros(self.n_pseudo_inputs)),
            self.posterior(*self._components()),
        )

    def prior_log_prob(self, z):
        """log p(z) for z of shape [..., latent_dim].

        The VampPrior's is computed directly: each component's squared distance
        sum_d (z_d - mu_kd)^2 / s_kd^2 expands into two matrix products, so all
        K components cost about as much as one dense layer, then a log-sum-exp.
        """
        if self.prior_name == "normal":
            return self.prior().log_prob(z)
        means, log_vars = self._components()
        precision = ops.exp(-log_vars)  # [K, latent_dim]
        flat = ops.reshape(z, (-1, self.latent_dim))
        distance = (
            ops.matmul(ops.square(flat), ops.transpose(precision))
            - 2.0 * ops.matmul(flat, ops.transpose(means * precision))
            + ops.sum(ops.square(means) * precision, axis=-1)
        )  # [N, K]
        constant = ops.sum(log_vars, axis=-1) + self.latent_dim * math.log(2 * math.pi)
        log_normal = -0.5 * (distance + constant)
        log_p = ops.logsumexp(log_normal, axis=-1) - math.log(self.n_pseudo_inputs)
        return ops.reshape(log_p, ops.shape(z)[:-1])

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
        log_ratio = self.prior_log_prob(z) - log_q
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
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            scaled = {
                name: self.optimizer.scale_loss(terms[name] / replicas)
                for name in ("loss", "encoder_loss")
            }
        # The encoder descends DReG's surrogate, the decoder the bound; in the
        # order of self.trainable_weights, the optimizer's own (saving needs it).
        pairs = []
        for name, network in (("encoder_loss", self.encoder), ("loss", self.decoder)):
            weights = network.trainable_weights
            pairs += zip(tape.gradient(scaled[name], weights), weights, strict=True)
        self.optimizer.apply_gradients(pairs)
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
        rng = np.random.default_rng(seed)
        eps = rng.standard_normal((check_count(n), self.latent_dim)).astype(np.float32)
        if self.prior_name == "normal":
            return eps
        means, log_vars = (ops.convert_to_numpy(t) for t in self._components())
        component = rng.integers(self.n_pseudo_inputs, size=n)
        return means[component] + np.exp(0.5 * log_vars[component]) * eps

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

    def get_config(self) -> dict:
        beta = float(self.beta.numpy())
        return {
            **super().get_config(),
            "beta": beta,
            "seed": self.seed,
            "fixed_scale": self.fixed_scale,
            "kl_term": self.kl_term,
            "prior": self.prior_name,
            "n_pseudo_inputs": self.n_pseudo_inputs,
            "k": self.k,
            "dreg": self.dreg,
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
    prior: str = "normal",
    n_pseudo_inputs: int = 500,
    k: int = 1,
    dreg: bool = False,
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
        prior: "normal" (N(0, I)) or "vamp" (the VampPrior, see VAE).
        n_pseudo_inputs: the VampPrior's number of pseudo-inputs K.
        k: samples per image in the training objective: 1 is the ELBO, k > 1
            the importance-weighted bound (IWAE).
        dreg: with k > 1, train the encoder on the doubly reparameterized
            gradient of that bound (see VAE).

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
        prior=prior,
        n_pseudo_inputs=n_pseudo_inputs,
        k=k,
        dreg=dreg,
        name="vae",
        dtype=dtype_policy,
    )
    return compile_with_adam(model, learning_rate, steps_per_execution)
