"""Checks for the notebooks' coding exercises: your function against the package's.

Each exercise in notebooks 01-03 asks for one function (a loss, a sampling
step, a distance). `check(name, function)` calls it on random inputs, compares
the result with what the package computes, and prints what it found: correct,
not attempted yet, or how far off and where. `verdict(name, function)` returns
the same as (correct?, message).

    from gdl_vae import exercises
    exercises.check("02.reparameterize", reparameterize)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Exercise:
    """One exercise: what to write, and how to compare it with the package."""

    task: str
    compare: Callable[[Callable], str | None]  # None when correct, else what differs


def _close(name: str, got, expected, rtol: float = 1e-4, atol: float = 1e-4):
    """None if got matches expected (shape and values), else a short diagnosis."""
    got = np.asarray(got, np.float64)
    expected = np.asarray(expected, np.float64)
    if got.shape != expected.shape:
        return f"{name} has shape {got.shape}; expected {expected.shape}."
    if not np.all(np.isfinite(got)):
        return f"{name} holds NaN or infinite values."
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        worst = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
        return (
            f"{name} differs: at index {tuple(int(i) for i in worst)} you have "
            f"{got[worst]:.5g}, the package {expected[worst]:.5g}."
        )
    return None


def _posterior_batch(seed: int, n: int = 6, d: int = 3):
    """Random posterior parameters (mean, log_var), each (n, d), float32."""
    rng = np.random.default_rng(seed)
    mean = rng.normal(0.0, 1.5, (n, d)).astype(np.float32)
    log_var = rng.normal(-1.0, 1.0, (n, d)).astype(np.float32)
    return mean, log_var


# --- notebook 01 ------------------------------------------------------------


def _reconstruction_loss(answer: Callable) -> str | None:
    import gdl_vae

    rng = np.random.default_rng(1)
    x = (rng.random((5, 28, 28, 1)) < 0.3).astype(np.float32)
    logits = rng.normal(0.0, 3.0, x.shape).astype(np.float32)
    model = gdl_vae.build_autoencoder(latent_dim=2)
    expected = -model.likelihood(logits).log_prob(x).numpy()
    return _close("reconstruction_loss(x, logits)", answer(x, logits), expected)


def _fitted_gaussian(answer: Callable) -> str | None:
    rng = np.random.default_rng(2)
    codes = rng.normal(size=(3_000, 3)) @ np.array(
        [[3.0, 0.0, 0.0], [1.5, 0.5, 0.0], [-2.0, 1.0, 4.0]]
    ) + np.array([5.0, -7.0, 1.0])
    samples = np.asarray(answer(codes.astype(np.float32), 40_000, 0), np.float64)
    if samples.shape != (40_000, 3):
        return f"fitted_gaussian(codes, 40000, seed) has shape {samples.shape}."
    # The package's sampler, for the same codes, as the standard of comparison.
    from gdl_vae.measure.latent import matched_gaussian

    expected = matched_gaussian(codes, 40_000, seed=1).astype(np.float64)
    mean_gap = np.abs(samples.mean(0) - expected.mean(0)).max()
    cov_gap = np.abs(np.cov(samples, rowvar=False) - np.cov(expected, rowvar=False))
    # Sampling error of 40,000 draws: about 0.05 on the means, 0.3 on the
    # covariances here; a wrong mean or covariance is off by whole units.
    if mean_gap > 0.2:
        return f"the samples' mean is {mean_gap:.2f} away from the codes' mean."
    if cov_gap.max() > 1.0:
        return (
            f"the samples' covariance is {cov_gap.max():.2f} away from the codes' "
            "covariance (are the dimensions correlated as in the codes?)."
        )
    if np.unique(samples[:, 0]).size < 30_000:
        return "the samples repeat themselves: draw new points, not codes."
    return None


def _frechet_distance(answer: Callable) -> str | None:
    from gdl_vae.measure.metrics import frechet_distance

    rng = np.random.default_rng(3)
    real = rng.normal(size=(500, 4)) @ rng.normal(size=(4, 4))
    fake = rng.normal(size=(400, 4)) @ rng.normal(size=(4, 4)) + 0.5
    return _close(
        "frechet_distance(real, fake)",
        answer(real, fake),
        frechet_distance(real, fake),
        rtol=1e-3,
    )


# --- notebook 02 ------------------------------------------------------------


def _reparameterize(answer: Callable) -> str | None:
    from gdl_vae.models.layers import Sampling

    mean, log_var = _posterior_batch(4)
    # The package's layer with a fixed seed draws a known eps: read it off with
    # mean 0 and log-variance 0, then let a twin layer sample the real thing.
    eps = Sampling(seed=7)([np.zeros_like(mean), np.zeros_like(log_var)]).numpy()
    expected = Sampling(seed=7)([mean, log_var]).numpy()
    return _close(
        "reparameterize(mean, log_var, eps)", answer(mean, log_var, eps), expected
    )


def _kl_to_prior(answer: Callable) -> str | None:
    import tensorflow_probability as tfp

    import gdl_vae

    mean, log_var = _posterior_batch(5)
    vae = gdl_vae.build_vae(latent_dim=mean.shape[1])
    q = vae.posterior(mean, log_var)
    expected = tfp.distributions.kl_divergence(q, vae.prior()).numpy()
    return _close("kl_to_prior(mean, log_var)", answer(mean, log_var), expected)


def _negative_elbo(answer: Callable) -> str | None:
    import tensorflow_probability as tfp

    import gdl_vae

    mean, log_var = _posterior_batch(6)
    rng = np.random.default_rng(6)
    x = (rng.random((len(mean), 28, 28, 1)) < 0.3).astype(np.float32)
    logits = rng.normal(0.0, 3.0, x.shape).astype(np.float32)
    vae = gdl_vae.build_vae(latent_dim=mean.shape[1])
    kl = tfp.distributions.kl_divergence(vae.posterior(mean, log_var), vae.prior())
    expected = -vae.likelihood(logits).log_prob(x).numpy() + kl.numpy()
    return _close(
        "negative_elbo(x, logits, mean, log_var)",
        answer(x, logits, mean, log_var),
        expected,
    )


# --- notebook 03 ------------------------------------------------------------


def _slerp(answer: Callable) -> str | None:
    from gdl_vae.measure.latent import interpolate

    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(2, 16))
    b *= 1.7
    t = np.linspace(0.0, 1.0, 9)
    got = np.stack([np.asarray(answer(a, b, float(s)), np.float64) for s in t])
    expected = interpolate(a, b, frames=len(t), method="spherical")
    wrong = _close("slerp(a, b, t) for t = 0, 1/8, ..., 1", got, expected, rtol=1e-4)
    if wrong:
        return wrong
    # Codes that point the same way: the angle is 0, and so is sin(angle).
    with np.errstate(all="ignore"):
        got = np.stack(
            [np.asarray(answer(a, 2.5 * a, float(s)), np.float64) for s in t]
        )
    if not np.all(np.isfinite(got)):
        return (
            "slerp(a, 2.5 * a, t) holds NaN: for codes that point the same way the "
            "angle is 0 and dividing by sin(angle) divides by 0. Where sin(angle) "
            "is (nearly) 0, the path is the straight line: keep a's direction."
        )
    expected = interpolate(a, 2.5 * a, frames=len(t), method="spherical")
    return _close("slerp(a, 2.5 * a, t) (parallel codes)", got, expected, rtol=1e-4)


def _move_to_class(answer: Callable) -> str | None:
    from gdl_vae.measure.latent import class_means

    rng = np.random.default_rng(9)
    labels = rng.integers(0, 10, 600)
    codes = rng.normal(size=(600, 5)) + labels[:, None] * 0.7
    means = class_means(codes, labels)
    source = codes[labels == 3][:20]
    expected = source - means[3] + means[8]
    got = answer(codes, labels, source, 3, 8)
    return _close("move_to_class(codes, labels, source, 3, 8)", got, expected)


def _precision(answer: Callable) -> str | None:
    from gdl_vae.measure.metrics import precision_recall

    rng = np.random.default_rng(10)
    real = rng.normal(size=(600, 5))
    fake = rng.normal(0.6, 1.2, size=(500, 5))
    expected = precision_recall(real, fake, k=3)["precision"]
    return _close("precision(real, fake, k=3)", answer(real, fake, 3), expected)


EXERCISES: dict[str, Exercise] = {
    "01.reconstruction_loss": Exercise(
        "-log p(x|z) per image, in nats, from the decoder's logits",
        _reconstruction_loss,
    ),
    "01.fitted_gaussian": Exercise(
        "n points from a Gaussian with the codes' mean and covariance", _fitted_gaussian
    ),
    "01.frechet_distance": Exercise(
        "the Fréchet distance between two sets of features", _frechet_distance
    ),
    "02.reparameterize": Exercise(
        "z = mean + sigma * eps from the mean and the log-variance", _reparameterize
    ),
    "02.kl_to_prior": Exercise(
        "KL(q(z|x) || N(0, I)) in closed form, per image", _kl_to_prior
    ),
    "02.negative_elbo": Exercise(
        "the negative ELBO per image: reconstruction + KL", _negative_elbo
    ),
    "03.slerp": Exercise("spherical interpolation between two codes", _slerp),
    "03.move_to_class": Exercise(
        "latent arithmetic: move codes from one class's mean to another's",
        _move_to_class,
    ),
    "03.precision": Exercise(
        "improved precision: the share of samples inside the real manifold", _precision
    ),
}


def verdict(name: str, answer: Callable) -> tuple[bool, str]:
    """Run exercise `name` on your function `answer`: (correct?, what was found)."""
    if name not in EXERCISES:
        raise ValueError(f"no exercise {name!r}; there are {sorted(EXERCISES)}.")
    exercise = EXERCISES[name]
    try:
        problem = exercise.compare(answer)
    except NotImplementedError:
        return False, (
            f"{name}: not attempted yet. Write {exercise.task}; the solution is "
            "in the next cell."
        )
    except Exception as error:  # the learner's code: show what broke, don't raise
        return False, f"{name}: your function raised {type(error).__name__}: {error}"
    if problem is None:
        return True, f"{name}: correct, it matches the package."
    return False, f"{name}: not yet. {problem}"


def check(name: str, answer: Callable) -> None:
    """Run exercise `name` on your function `answer` and print the verdict."""
    print(verdict(name, answer)[1])
