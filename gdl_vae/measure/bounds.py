"""Likelihood bounds for a model with a posterior and a prior (a VAE), in nats.

elbo:        log p(x) >= E_q[log p(x|z)] - KL(q(z|x) || p(z))
iwae_bound:  log p(x) >= E[log (1/k) sum_i p(x, z_i) / q(z_i|x)],  z_i ~ q(z|x)
             (Burda, Grosse & Salakhutdinov 2016). k = 1 is the ELBO; the bound
             tightens as k grows, so -iwae_bound with large k estimates the
             negative log-likelihood (NLL) that papers report.
iwae_bounds: the same bound for several k, from one set of draws.
kl_parts:    the analytic KL to N(0, I) split into its mean and variance terms.

The model needs posterior_parameters, posterior, prior (models/priors.py),
analytic_kl, decoder, likelihood and traced (a VAE has them all).
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops

from gdl_vae._quiet import expected_retracing
from gdl_vae.data.checks import check_images
from gdl_vae.models.base import batched, check_count
from gdl_vae.models.registry import MAX_DECODES
from gdl_vae.progress import bar

# Bounds needing this many decoder passes or more (len(x) * k; about 10 s on
# 2 cores for the conv VAE) show a progress bar.
PROGRESS_DECODES = 300_000

tfd = tfp.distributions


def _check_count(value, name: str) -> int:
    fix = f" Fix: {name}=1000 is a usual choice (larger is tighter and slower)."
    return check_count(value, name, fix)


def _generator(seed: int | None) -> tf.random.Generator:
    if seed is None:
        return tf.random.Generator.from_non_deterministic_state()
    return tf.random.Generator.from_seed(seed)


def _stateless_seed(generator: tf.random.Generator) -> tf.Tensor:
    """A fresh [2] int32 seed, the form TFP's stateless samplers take."""
    return tf.cast(generator.make_seeds(1)[:, 0] % (2**31 - 1), tf.int32)


def _log_terms(model, x, k: int, seed):
    """log p(x|z_i), log p(z_i) - log q(z_i|x) for k draws z_i ~ q: each [k, B]."""
    q = model.posterior(*model.posterior_parameters(x))
    z = q.sample(k, seed=seed)  # [k, B, latent_dim]
    logits = model.decoder(tf.reshape(z, [-1, model.latent_dim]), training=False)
    logits = tf.reshape(logits, [k, -1, *model.image_shape])
    log_px_z = model.likelihood(logits).log_prob(x)  # x broadcasts over k
    log_ratio = model.prior.log_prob(z) - q.log_prob(z)
    return log_px_z, log_ratio


def _kl(model, x):
    q = model.posterior(*model.posterior_parameters(x))
    return tfd.kl_divergence(q, model.prior())


def _plan(n_samples: int, max_decodes: int) -> tuple[int, int]:
    """(images per call, samples per call) with their product <= max_decodes."""
    chunk = min(n_samples, max_decodes)
    return max(1, max_decodes // chunk), chunk


def _draws(model, x, n: int, seed: int | None, max_decodes: int, what: str):
    """For each batch of images: (batch, its n draws as chunks of _log_terms).

    At most max_decodes decoder passes run at a time, whatever n and len(x).
    Work of PROGRESS_DECODES decoder passes or more shows a progress bar over
    the images, labelled `what`.
    """
    generator = _generator(seed)
    log_terms = model.traced(_log_terms)
    images, chunk = _plan(n, max_decodes)
    quiet = len(x) * n < PROGRESS_DECODES
    # One trace per number of samples: several k in a row retrace, as expected.
    with (
        expected_retracing(),
        bar(len(x), what, unit="image", disable=quiet) as progress,
    ):
        for start in range(0, len(x), images):
            batch = tf.constant(x[start : start + images])
            sizes = [min(chunk, n - done) for done in range(0, n, chunk)]
            yield (
                batch,
                (log_terms(batch, s, _stateless_seed(generator)) for s in sizes),
            )
            progress.update(len(batch))


def elbo(model, x, n_samples: int = 1, seed: int | None = None) -> np.ndarray:
    """Per-example ELBO, shape (N,): a Monte-Carlo reconstruction term and the
    analytic KL, or, for a prior without one (the VampPrior), the KL estimated
    from the same n_samples draws."""
    check_images(x, model.image_shape)
    n_samples = _check_count(n_samples, "n_samples")
    analytic = model.analytic_kl
    kl = model.traced(_kl)
    out = []
    for batch, draws in _draws(model, x, n_samples, seed, MAX_DECODES, "ELBO"):
        total = sum(
            tf.reduce_sum(log_px_z + (0.0 if analytic else log_ratio), axis=0).numpy()
            for log_px_z, log_ratio in draws
        )
        out.append(total / n_samples - (kl(batch).numpy() if analytic else 0.0))
    return np.concatenate(out)


def iwae_bound(
    model, x, k: int = 1000, seed: int | None = None, max_decodes: int = MAX_DECODES
) -> np.ndarray:
    """Per-example importance-weighted bound with k samples, shape (N,).

    At most max_decodes decoder passes run at a time, so memory stays bounded
    for any k.
    """
    return iwae_bounds(model, x, [k], seed=seed, max_decodes=max_decodes)[:, 0]


def log_mean_exp(log_w: np.ndarray, axis: int = -1) -> np.ndarray:
    """log (1/k) sum_i exp(log_w_i) over axis, by log-sum-exp: the log-weights of
    an image are near -100 nats, so exp() of them underflows to 0 in float32."""
    log_w = np.asarray(log_w, np.float64)
    return np.logaddexp.reduce(log_w, axis=axis) - math.log(log_w.shape[axis])


def iwae_bounds(
    model, x, ks, seed: int | None = None, max_decodes: int = MAX_DECODES
) -> np.ndarray:
    """The importance-weighted bound for several k from one set of draws, (N, len(ks)).

    max(ks) log-weights are drawn per image; the bound for each k averages
    log (1/k) sum_i w_i over the disjoint groups of k of them (max(ks) // k
    groups), so the smaller k cost nothing more and their estimates are less
    noisy than one group each.
    """
    check_images(x, model.image_shape)
    ks = [_check_count(k, "k") for k in ks]
    if not ks:
        raise ValueError("ks is empty: give at least one k, e.g. ks=(1, 10, 100).")
    k_max = max(ks)
    out = []
    what = f"bound, k = {k_max:,}"
    for _, draws in _draws(model, x, k_max, seed, max_decodes, what):
        log_w = np.concatenate(
            [(log_px_z + log_ratio).numpy() for log_px_z, log_ratio in draws],
            dtype=np.float64,
        )  # [k_max, batch]
        columns = []
        for k in ks:
            groups = log_w[: k_max // k * k].reshape(k_max // k, k, -1)
            bound = log_mean_exp(groups, axis=1)
            columns.append(bound.mean(axis=0))
        out.append(np.stack(columns, axis=1))
    return np.concatenate(out)


def kl_term_values(z_mean, z_log_var) -> dict:
    """The two terms of KL(N(mu, sigma^2) || N(0, I)) per image, summed over z:
    "mean" = 1/2 sum mu^2 and "variance" = 1/2 sum (sigma^2 - 1 - log sigma^2).
    Their sum is the whole KL; each is zero only at the prior's own value."""
    mean_term = 0.5 * ops.sum(ops.square(z_mean), axis=-1)
    variance_term = 0.5 * ops.sum(ops.exp(z_log_var) - 1.0 - z_log_var, axis=-1)
    return {"mean": mean_term, "variance": variance_term}


def kl_parts(model, x) -> dict[str, float]:
    """The KL term split in two, in nats per image (summed over dimensions).

    KL(N(mu, s^2) || N(0, 1)) = mu^2 / 2  +  (s^2 - 1 - log s^2) / 2
                                mean term    variance term
    The mean term pulls codes towards the origin; the variance term keeps each
    posterior about as wide as the prior. Their sum is the analytic KL.
    """
    check_images(x, model.image_shape)
    parameters = batched(model.posterior_parameters, x)
    terms = kl_term_values(*(np.asarray(t, np.float64) for t in parameters))
    return {
        "kl_mean_term": float(np.mean(ops.convert_to_numpy(terms["mean"]))),
        "kl_variance_term": float(np.mean(ops.convert_to_numpy(terms["variance"]))),
    }
