"""A VAE with two stochastic layers: z1 next to the image, z2 above it.

The design is Tomczak & Welling's HVAE (2018, section 3.3), with the kit's
dense networks:

    inference   q(z2|x) q(z1|x, z2)     x -> 512 -> 256 = h -> z2
                                        [h, z2] -> 256 -> z1
    generation  p(z2) p(z1|z2) p(x|z1, z2)
                                        z2 -> 256 -> 256 -> z1
                                        [z1, z2] -> 256 -> 512 -> x (logits)

With decoder_sees="z1" the image depends on z1 alone, p(x|z1), and z2 reaches
it only through p(z1|z2): Burda et al.'s two-layer generative model and the
ladder VAE's. That is the design in which the top layer collapses: z2 pays its
KL term for a say in the image that z1 could have on its own (notebook 08
measures it).

p(z2) is any of the kit's priors (N(0, I) or the VampPrior, whose components
are q(z2|u_k)). The model's latent point is the pair z = [z1, z2] (z1 first),
so everything written for a one-layer VAE works unchanged: `decode(z)`,
`sample`, `latent_samples`, `elbo` and `iwae_bound` (measure/bounds.py, which
asks the posterior for k draws and their log-densities, and the prior for its
log-density), saving, the command line and the benchmarks.

Each layer has its own KL term, logged as kl_z1 and kl_z2 (their sum is
kl_loss):

    KL = E_q(z2|x)[KL(q(z1|x, z2) || p(z1|z2))] + KL(q(z2|x) || p(z2))

The first is a KL between two Gaussians for the drawn z2, in closed form; the
second is closed-form under N(0, I) and estimated from the drawn z2 under the
VampPrior. A top layer whose KL falls to zero has collapsed (its posterior is
its prior for every image); free_bits > 0 lets each layer keep that many nats
per dimension without cost in training (Kingma et al. 2016), a remedy beside
the KL warm-up (callbacks.KLWarmup). The bounds always use the whole KL.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from keras import layers, ops

from gdl_vae.measure import bounds
from gdl_vae.models.base import compile_with_adam
from gdl_vae.models.configs import HierarchicalVAEConfig, builder
from gdl_vae.models.networks import DENSE_UNITS, HIDDEN_UNITS, build_decoder
from gdl_vae.models.priors import PRIORS, Prior
from gdl_vae.models.vae import VAE

LOG_2PI = math.log(2 * math.pi)


def diagonal_log_prob(z, mean, log_var):
    """log N(z; mean, diag(exp(log_var))), summed over the last axis."""
    squared = ops.square(z - mean) * ops.exp(-log_var)
    return -0.5 * ops.sum(LOG_2PI + log_var + squared, axis=-1)


def diagonal_kl(mean, log_var, prior_mean, prior_log_var):
    """KL(N(mean, exp(log_var)) || N(prior_mean, exp(prior_log_var))), summed
    over the last axis."""
    ratio = ops.exp(log_var - prior_log_var)
    squared = ops.square(mean - prior_mean) * ops.exp(-prior_log_var)
    return 0.5 * ops.sum(ratio + squared - 1.0 - log_var + prior_log_var, axis=-1)


def _gaussian_head(name: str, inputs, h, size: int, dtype) -> keras.Model:
    """A network inputs -> h -> [mean, log-variance] of a `size`-D Gaussian."""
    mean = layers.Dense(size, dtype="float32", name="mean")(h)
    log_var = layers.Dense(size, dtype="float32", name="log_var")(h)
    return keras.Model(inputs, [mean, log_var], name=name)


def build_networks(
    latent_dim: int,
    z2_dim: int,
    image_shape=(28, 28, 1),
    dtype: str | None = None,
    decoder_sees: str = "both",
) -> tuple[keras.Model, keras.Model]:
    """The encoder x -> [z2's mean, z2's log-variance, h] and the decoder
    [z1, z2] -> pixel logits: the kit's dense decoder on the pair, or on z1
    alone (decoder_sees="z1"); latent_dim counts both layers, z2_dim the top
    one's."""
    images = keras.Input(shape=tuple(image_shape), name="images")
    h = layers.Flatten(dtype=dtype)(images)
    for units in DENSE_UNITS:
        h = layers.Dense(units, activation="relu", dtype=dtype)(h)
    top = _gaussian_head("top", images, h, z2_dim, dtype)
    encoder = keras.Model(images, [*top.outputs, h], name="hierarchical_encoder")
    if decoder_sees == "both":
        return encoder, build_decoder(latent_dim, "dense", image_shape, dtype)
    z1_dim = latent_dim - z2_dim
    z = keras.Input(shape=(latent_dim,), name="z")
    z1 = layers.Reshape((latent_dim, 1), dtype=dtype)(z)  # z1: the first z1_dim
    z1 = layers.Cropping1D((0, z2_dim), dtype=dtype)(z1)
    z1 = layers.Reshape((z1_dim,), dtype=dtype)(z1)
    inner = build_decoder(z1_dim, "dense", image_shape, dtype)
    return encoder, keras.Model(z, inner(z1), name="decoder_of_z1")


def build_inner_networks(
    z1_dim: int, z2_dim: int, features: int, dtype: str | None = None
) -> tuple[keras.Model, keras.Model]:
    """q(z1|x, z2): [h, z2] -> 256 -> z1's mean and log-variance, and
    p(z1|z2): z2 -> 256 -> 256 -> the same."""
    h = keras.Input(shape=(features,), name="h")
    z2 = keras.Input(shape=(z2_dim,), name="z2")
    joined = layers.Concatenate(dtype=dtype)([h, z2])
    hidden = layers.Dense(HIDDEN_UNITS, activation="relu", dtype=dtype)(joined)
    posterior = _gaussian_head("z1_posterior", [h, z2], hidden, z1_dim, dtype)
    z2 = keras.Input(shape=(z2_dim,), name="z2")
    hidden = z2
    for _ in range(2):
        hidden = layers.Dense(HIDDEN_UNITS, activation="relu", dtype=dtype)(hidden)
    return posterior, _gaussian_head("z1_prior", z2, hidden, z1_dim, dtype)


def _flat_call(network: keras.Model, inputs: list, training: bool = False):
    """network on inputs with any leading axes ([k, batch, d] draws): flattened
    to [-1, d] for the Keras network, its outputs shaped back."""
    lead = ops.shape(inputs[-1])[:-1]
    flat = [ops.reshape(t, (-1, ops.shape(t)[-1])) for t in inputs]
    outputs = network(flat if len(flat) > 1 else flat[0], training=training)
    return [ops.reshape(t, (*lead, ops.shape(t)[-1])) for t in outputs]


class TwoLayerPosterior:
    """q(z|x) = q(z2|x) q(z1|x, z2) over z = [z1, z2], for a batch of images.

    What the bounds and the learner ask of a posterior: sample, log_prob,
    mean and stddev (of z1 at z2's mean, and of z2).
    """

    def __init__(self, model: HierarchicalVAE, z2_mean, z2_log_var, features):
        self.model = model
        self.z2_mean, self.z2_log_var, self.features = z2_mean, z2_log_var, features

    def z1_parameters(self, z2):
        """q(z1|x, z2)'s mean and log-variance for z2 of shape [..., batch, z2_dim]."""
        features = ops.broadcast_to(
            self.features, (*ops.shape(z2)[:-1], ops.shape(self.features)[-1])
        )
        return _flat_call(self.model.z1_posterior, [features, z2])

    def sample(self, sample_shape=(), seed=None):
        """Draws z = [z1, z2], shape [*sample_shape, batch, latent_dim]: z2 from
        q(z2|x), then z1 from q(z1|x, z2). seed: an int or TFP's [2] seed."""
        shape = tuple(np.atleast_1d(sample_shape)) if sample_shape != () else ()
        seeds = tfp.random.split_seed(seed, n=2) if seed is not None else (None, None)

        def normal(shape, seed):
            if seed is None:
                return tf.random.normal(shape)
            return tf.random.stateless_normal(shape, seed=seed)

        eps = normal((*shape, *ops.shape(self.z2_mean)), seeds[0])
        z2 = self.z2_mean + ops.exp(0.5 * self.z2_log_var) * eps
        z1_mean, z1_log_var = self.z1_parameters(z2)
        z1 = z1_mean + ops.exp(0.5 * z1_log_var) * normal(ops.shape(z1_mean), seeds[1])
        return ops.concatenate([z1, z2], axis=-1)

    def log_prob(self, z):
        """log q(z2|x) + log q(z1|x, z2) for z of shape [..., batch, latent_dim]."""
        z1, z2 = self.model.split(z)
        z1_mean, z1_log_var = self.z1_parameters(z2)
        return diagonal_log_prob(z2, self.z2_mean, self.z2_log_var) + diagonal_log_prob(
            z1, z1_mean, z1_log_var
        )

    def mean(self):
        """[z1, z2] along the means: z2's mean, and z1's mean given it."""
        z1_mean, _ = self.z1_parameters(self.z2_mean)
        return ops.concatenate([z1_mean, self.z2_mean], axis=-1)

    def stddev(self):
        """The standard deviations of q(z1|x, z2) at z2's mean and of q(z2|x)."""
        _, z1_log_var = self.z1_parameters(self.z2_mean)
        return ops.exp(0.5 * ops.concatenate([z1_log_var, self.z2_log_var], axis=-1))


class _TopLayer:
    """The view of the hierarchy a prior of z2 is built from (priors.py): the
    VampPrior's components are q(z2|u_k), and its pseudo-inputs the model's."""

    def __init__(self, model: HierarchicalVAE):
        self.latent_dim, self.image_shape = model.z2_dim, model.image_shape
        self.n_pseudo_inputs, self.add_weight = model.n_pseudo_inputs, model.add_weight
        self.posterior_parameters = lambda x: model.encoder(x)[:2]
        self.posterior = VAE.posterior.__get__(model)  # a diagonal Gaussian
        self.pseudo_inputs = None


class TwoLayerPrior(Prior):
    """p(z) = p(z2) p(z1|z2) over z = [z1, z2]; p(z2) is a prior of the kit."""

    analytic_kl = False  # the bounds estimate the KL from their draws

    def __init__(self, model: HierarchicalVAE, top: Prior):
        self.model, self.top = model, top
        self.latent_dim = model.latent_dim
        self.name = top.name  # what options() and saving record
        self.title = f"{top.title}, then z1 ~ p(z1|z2)"

    def z1_parameters(self, z2, training: bool = False):
        """p(z1|z2)'s mean and log-variance, for z2 [..., z2_dim]."""
        return _flat_call(self.model.z1_prior, [z2], training)

    def log_prob(self, z):
        z1, z2 = self.model.split(z)
        return self.top.log_prob(z2) + diagonal_log_prob(z1, *self.z1_parameters(z2))

    def sample_z1(self, z2, rng: np.random.Generator) -> np.ndarray:
        """z1 ~ p(z1|z2), one draw for each row of z2 [N, z2_dim]."""
        mean, log_var = (ops.convert_to_numpy(t) for t in self.z1_parameters(z2))
        eps = rng.standard_normal(mean.shape).astype(np.float32)
        return mean + np.exp(0.5 * log_var) * eps

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        z2 = self.top.sample(n, rng)
        return np.concatenate([self.sample_z1(z2, rng), z2], axis=1)


@keras.saving.register_keras_serializable(package="gdl_vae")
class HierarchicalVAE(VAE):
    """A VAE with two stochastic layers (module docstring); z = [z1, z2].

    Trained on the ELBO (k = 1) with each layer's KL term, or on the
    importance-weighted bound with k samples; free_bits keeps that many nats
    per dimension of each layer's KL out of the loss (k = 1).
    """

    loss_names = ("loss", "reconstruction_loss", "kl_loss", "kl_z1", "kl_z2")
    config_class = HierarchicalVAEConfig

    def make_prior(self, options: dict) -> TwoLayerPrior:
        """The two networks between the layers, then p(z) = p(z2) p(z1|z2).

        They are built here from the sizes of z1 and z2, like the VampPrior's
        pseudo-inputs, so a saved model needs nothing more than its options."""
        self.top_dim = options["top_dim"]  # as given (None: half), for saving
        self.z2_dim = self.config_class.z2_size(self.latent_dim, self.top_dim)
        self.z1_posterior, self.z1_prior = build_inner_networks(
            self.latent_dim - self.z2_dim,
            self.z2_dim,
            int(self.encoder.outputs[2].shape[-1]),
            self.dtype_policy.name,
        )
        top_layer = _TopLayer(self)
        top = PRIORS[options["prior"]](top_layer)
        self.pseudo_inputs = top_layer.pseudo_inputs  # the VampPrior's, or None
        return TwoLayerPrior(self, top)

    def split(self, z) -> tuple:
        """(z1, z2) from z = [z1, z2] of shape [..., latent_dim]."""
        d1 = self.latent_dim - self.z2_dim
        return z[..., :d1], z[..., d1:]

    def posterior_parameters(self, x, training: bool = False) -> tuple:
        """(z2's mean, z2's log-variance, h): q(z2|x) and the image's features h,
        from which q(z1|x, z2) is computed for any z2."""
        return tuple(self.encoder(x, training=training))

    def posterior(self, z2_mean, z2_log_var, features) -> TwoLayerPosterior:
        """q(z|x) = q(z2|x) q(z1|x, z2)."""
        return TwoLayerPosterior(self, z2_mean, z2_log_var, features)

    def loss_terms(self, x, training: bool = False) -> dict:
        z2_mean, z2_log_var, features = self.posterior_parameters(x, training)
        k, batch, d2 = self.k, ops.shape(x)[0], self.z2_dim
        shape = (k, batch, d2)
        z2 = self.sampling(
            [ops.broadcast_to(z2_mean, shape), ops.broadcast_to(z2_log_var, shape)]
        )  # [k, batch, z2_dim]
        features = ops.broadcast_to(features, (k, *ops.shape(features)))
        z1_mean, z1_log_var = _flat_call(self.z1_posterior, [features, z2], training)
        z1 = self.sampling([z1_mean, z1_log_var])
        z = ops.concatenate([z1, z2], axis=-1)
        logits = self.decoder(ops.reshape(z, (-1, self.latent_dim)), training=training)
        logits = ops.reshape(logits, (k, batch, *self.image_shape))
        log_px_z = self.likelihood(logits).log_prob(x)  # [k, batch]
        prior_mean, prior_log_var = self.prior.z1_parameters(z2, training)
        if k == 1:  # the ELBO: the lower KL in closed form for the drawn z2
            kl_z1 = diagonal_kl(z1_mean, z1_log_var, prior_mean, prior_log_var)
        else:  # the log-weights of the importance-weighted bound
            kl_z1 = diagonal_log_prob(z1, z1_mean, z1_log_var) - diagonal_log_prob(
                z1, prior_mean, prior_log_var
            )
        kl_z2 = self._top_kl(z2, z2_mean, z2_log_var, closed_form=k == 1)
        log_w = log_px_z - self.beta * (kl_z1 + kl_z2)
        terms = {
            "loss": -ops.mean(ops.logsumexp(log_w, axis=0) - math.log(k)),
            "reconstruction_loss": -ops.mean(log_px_z),
            "kl_loss": ops.mean(kl_z1 + kl_z2),
            "kl_z1": ops.mean(kl_z1),
            "kl_z2": ops.mean(kl_z2),
        }
        if self.free_bits:  # each layer's KL counts only above its free nats
            free = self.free_bits * np.array([self.latent_dim - d2, d2], np.float32)
            kept = ops.maximum(ops.stack([terms["kl_z1"], terms["kl_z2"]]), free)
            terms["loss"] = terms["reconstruction_loss"] + self.beta * ops.sum(kept)
        return terms

    def _top_kl(self, z2, z2_mean, z2_log_var, closed_form: bool = True):
        """KL(q(z2|x) || p(z2)): in closed form where asked and p(z2) has one
        (N(0, I)), else log q - log p at the drawn z2."""
        if closed_form and self.prior.top.analytic_kl:  # the KL to N(0, I)
            terms = bounds.kl_term_values(z2_mean, z2_log_var)
            return (terms["mean"] + terms["variance"])[None]
        log_q = diagonal_log_prob(z2, z2_mean, z2_log_var)
        return log_q - self.prior.top.log_prob(z2)

    def call(self, x, training: bool = False):
        q = self.posterior(*self.posterior_parameters(x, training=training))
        z = q.sample(1)[0] if training else q.mean()
        return ops.sigmoid(self.decoder(z, training=training))

    def kl_layers(self, x, seed: int | None = None) -> dict[str, np.ndarray]:
        """Each layer's KL term per image, in nats: kl_z1 for one draw of z2
        (closed form given it), kl_z2 in closed form under N(0, I) (else for
        the same draw). Their sum is an unbiased estimate of the ELBO's KL."""
        z2_mean, z2_log_var, features = (
            ops.convert_to_tensor(t) for t in self.posterior_parameters(x)
        )
        q = self.posterior(z2_mean, z2_log_var, features)
        _, z2 = self.split(q.sample(seed=seed))
        z1_mean, z1_log_var = q.z1_parameters(z2)
        kl_z1 = diagonal_kl(z1_mean, z1_log_var, *self.prior.z1_parameters(z2))
        kl_z2 = self._top_kl(z2[None], z2_mean, z2_log_var)[0]
        return {
            "kl_z1": ops.convert_to_numpy(kl_z1),
            "kl_z2": ops.convert_to_numpy(kl_z2),
        }


@builder(HierarchicalVAEConfig)
def build_hierarchical_vae(
    config: HierarchicalVAEConfig,
    *,
    image_shape,
    dtype_policy,
    seed,
    steps_per_execution,
) -> HierarchicalVAE:
    """A compiled two-layer VAE (Adam) ready for fit().

    The model's latent point is z = [z1, z2], of size latent_dim; its last
    top_dim dimensions (half of them by default) are z2, the others z1.

    Example:
        >>> hvae = build_hierarchical_vae(64, top_dim=32, prior="vamp", seed=0)
        >>> hvae.fit(make_dataset(x_train, 128, "dynamic", seed=0), epochs=5)
        >>> -hvae.iwae_bound(held_out, k=1000).mean()  # NLL estimate, nats
    """
    encoder, decoder = build_networks(
        config.latent_dim,
        config.z2_size(config.latent_dim, config.top_dim),
        image_shape,
        dtype_policy,
        config.decoder_sees,
    )
    model = HierarchicalVAE(
        encoder,
        decoder,
        seed=seed,
        **config.model_options(),
        name="hierarchical_vae",
        dtype=dtype_policy,
    )
    return compile_with_adam(model, config.learning_rate, steps_per_execution)
