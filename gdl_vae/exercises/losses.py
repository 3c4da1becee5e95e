"""The checks of the losses and bounds: the reconstruction term, the KL and its
two terms, the ELBO, a KL warm-up, the importance-weighted bound and the
VampPrior's log-density."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gdl_vae.exercises.compare import close, posterior_batch


def reconstruction_loss(answer: Callable) -> str | None:
    """01.reconstruction_loss: -log p(x|z) per image, in nats, from the decoder's
    logits. None if right, else what is wrong."""
    import gdl_vae

    rng = np.random.default_rng(1)
    x = (rng.random((5, 28, 28, 1)) < 0.3).astype(np.float32)
    logits = rng.normal(0.0, 3.0, x.shape).astype(np.float32)
    model = gdl_vae.build_autoencoder(latent_dim=2)
    expected = -model.likelihood(logits).log_prob(x).numpy()
    return close("reconstruction_loss(x, logits)", answer(x, logits), expected)


def kl_to_prior(answer: Callable) -> str | None:
    """02.kl_to_prior: KL(q(z|x) || N(0, I)) in closed form, per image. None if right,
    else what is wrong."""
    import tensorflow_probability as tfp

    import gdl_vae

    mean, log_var = posterior_batch(5)
    vae = gdl_vae.build_vae(latent_dim=mean.shape[1])
    q = vae.posterior(mean, log_var)
    expected = tfp.distributions.kl_divergence(q, vae.prior()).numpy()
    got = np.asarray(answer(mean, log_var), np.float64)
    if got.shape == expected.shape:
        if np.allclose(got, 2 * expected, rtol=1e-4):
            return "kl_to_prior(mean, log_var) is twice the KL: the 1/2 is missing."
        if np.allclose(got, -expected, rtol=1e-4):
            return "kl_to_prior(mean, log_var) is negative: the sign is flipped."
    return close("kl_to_prior(mean, log_var)", got, expected)


def negative_elbo(answer: Callable) -> str | None:
    """02.negative_elbo: the negative ELBO per image: reconstruction + KL. None if
    right, else what is wrong."""
    import tensorflow_probability as tfp

    import gdl_vae

    mean, log_var = posterior_batch(6)
    rng = np.random.default_rng(6)
    x = (rng.random((len(mean), 28, 28, 1)) < 0.3).astype(np.float32)
    logits = rng.normal(0.0, 3.0, x.shape).astype(np.float32)
    vae = gdl_vae.build_vae(latent_dim=mean.shape[1])
    kl = tfp.distributions.kl_divergence(vae.posterior(mean, log_var), vae.prior())
    expected = -vae.likelihood(logits).log_prob(x).numpy() + kl.numpy()
    return close(
        "negative_elbo(x, logits, mean, log_var)",
        answer(x, logits, mean, log_var),
        expected,
    )


def kl_terms(answer: Callable) -> str | None:
    """04.kl_terms: the KL's two terms: the mean term and the variance term. None if
    right, else what is wrong."""
    from gdl_vae.measure.bounds import kl_term_values

    mean, log_var = posterior_batch(13)
    expected = {k: v.numpy() for k, v in kl_term_values(mean, log_var).items()}
    got = answer(mean, log_var)
    if not (isinstance(got, tuple) and len(got) == 2):
        return "return a pair: (mean term, variance term), each of shape (N,)."
    mean_term, variance_term = (np.asarray(t, np.float64) for t in got)
    if np.allclose(mean_term, expected["variance"], rtol=1e-4) and np.allclose(
        variance_term, expected["mean"], rtol=1e-4
    ):
        return "the two terms are swapped: return (mean term, variance term)."
    for name, value, key in (
        ("the mean term", mean_term, "mean"),
        ("the variance term", variance_term, "variance"),
    ):
        if np.allclose(value, 2 * expected[key], rtol=1e-4):
            return f"{name} is twice the package's: the 1/2 is missing."
        if np.allclose(value, -expected[key], rtol=1e-4):
            return f"{name} has the wrong sign: both terms are >= 0."
        wrong = close(name, value, expected[key])
        if wrong:
            return wrong
    return None


def kl_warmup(answer: Callable) -> str | None:
    """04.kl_warmup: beta at a step of a linear KL warm-up. None if right, else what is
    wrong."""
    from gdl_vae.callbacks import KLWarmup

    warmup, target = 200, 0.8
    schedule = KLWarmup(epochs=warmup, target=target)
    steps = np.arange(0, 3 * warmup, 7)
    got = np.array([float(answer(int(s), warmup, target)) for s in steps])
    expected = np.array([schedule.beta_at(float(s)) for s in steps])
    if abs(got[0]) > 1e-9:
        return f"beta at step 0 is {got[0]:.3g}: warm-up starts from beta = 0."
    if got[-1] > target + 1e-9:
        return (
            f"beta reaches {got[-1]:.3g} after {steps[-1]} steps, above the "
            f"target {target}: stop rising at the end of the warm-up (min(1, ...))."
        )
    return close("beta(step, 200, 0.8) for steps 0, 7, ..., 595", got, expected)


def iwae_bound(answer: Callable) -> str | None:
    """07.iwae_bound: the importance-weighted bound from log-weights, by log-sum-exp.
    None if right, else what is wrong."""
    from gdl_vae.measure.bounds import log_mean_exp

    rng = np.random.default_rng(17)
    log_w = rng.normal(-90.0, 3.0, (5, 50))
    expected = log_mean_exp(log_w, axis=1)
    got = np.asarray(answer(log_w), np.float64)
    if got.shape == expected.shape and np.allclose(got, log_w.mean(axis=1)):
        return (
            "that is the mean of the log-weights (the ELBO's estimate), not the "
            "log of the mean weight: log (1/k) sum exp(log_w)."
        )
    if got.shape == expected.shape and np.allclose(got, expected + np.log(50)):
        return "the 1/k is missing: subtract log k."
    wrong = close("iwae_bound(log_w) for log-weights near -90", got, expected)
    if wrong:
        return wrong
    # Real images: log-weights near -800 nats. exp() underflows to 0.
    far = log_w - 700.0
    with np.errstate(all="ignore"):
        got = np.asarray(answer(far), np.float64)
    if not np.all(np.isfinite(got)):
        return (
            "for log-weights near -790 the bound is -inf or NaN: exp(-790) "
            "underflows to 0. Use log-sum-exp: subtract the largest log-weight "
            "before exp() and add it back after the log."
        )
    return close("iwae_bound(log_w) for log-weights near -790", got, expected - 700)


def vamp_log_prob(answer: Callable) -> str | None:
    """07.vamp_log_prob: log p(z) under a VampPrior-style mixture of Gaussians. None if
    right, else what is wrong."""
    import tensorflow_probability as tfp

    tfd = tfp.distributions
    rng = np.random.default_rng(18)
    k, d = 7, 3
    means = rng.normal(0, 2, (k, d)).astype(np.float32)
    log_vars = rng.normal(-1, 0.5, (k, d)).astype(np.float32)
    z = rng.normal(0, 2, (20, d)).astype(np.float32)
    prior = tfd.MixtureSameFamily(
        tfd.Categorical(logits=np.zeros(k, np.float32)),
        tfd.MultivariateNormalDiag(loc=means, scale_diag=np.exp(0.5 * log_vars)),
    )
    expected = prior.log_prob(z).numpy()
    got = np.asarray(answer(z, means, log_vars), np.float64)
    if got.shape == expected.shape and np.allclose(got, expected + np.log(k), 1e-4):
        return f"off by log K = {np.log(k):.3f}: each component weighs 1/K."
    wrong = close("vamp_log_prob(z, means, log_vars)", got, expected)
    if wrong:
        return wrong
    far = z + 60.0  # far from every component: each density underflows
    expected = prior.log_prob(far).numpy()
    with np.errstate(all="ignore"):
        got = np.asarray(answer(far, means, log_vars), np.float64)
    if not np.all(np.isfinite(got)):
        return (
            "for z far from every component log p(z) is -inf or NaN: each "
            "component's density underflows to 0. Sum the components with "
            "log-sum-exp over their log-densities."
        )
    return close("vamp_log_prob far from the components", got, expected, rtol=1e-3)


def gaussian_kl(answer: Callable) -> str | None:
    """08.gaussian_kl: KL(N(m, e^lv) || N(pm, e^plv)) per image, summed over the
    dimensions, in closed form. None if right, else what is wrong."""
    from gdl_vae.models.hierarchical import diagonal_kl

    mean, log_var = posterior_batch(21)
    prior_mean, prior_log_var = posterior_batch(22)
    expected = diagonal_kl(mean, log_var, prior_mean, prior_log_var).numpy()
    got = np.asarray(answer(mean, log_var, prior_mean, prior_log_var), np.float64)
    swapped = diagonal_kl(prior_mean, prior_log_var, mean, log_var).numpy()
    if got.shape == expected.shape:
        if np.allclose(got, swapped, rtol=1e-4):
            return (
                "gaussian_kl(...) is KL(p || q): the posterior's Gaussian goes "
                "first, the prior's second."
            )
        if np.allclose(got, 2 * expected, rtol=1e-4):
            return "gaussian_kl(...) is twice the KL: the 1/2 is missing."
        zero_prior = diagonal_kl(mean, log_var, 0 * mean, 0 * log_var).numpy()
        if np.allclose(got, zero_prior, rtol=1e-4):
            return (
                "gaussian_kl(...) is the KL to N(0, I): use the prior's mean and "
                "log-variance."
            )
    return close("gaussian_kl(mean, log_var, prior_mean, prior_log_var)", got, expected)
