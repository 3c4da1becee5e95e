"""The checks of the latent-space and measurement pieces: a fitted Gaussian, the
Frechet distance, slerp, latent arithmetic, precision, PCA, ACAI's mixes and
critic loss."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gdl_vae.exercises.compare import close


def fitted_gaussian(answer: Callable) -> str | None:
    """01.fitted_gaussian: n points from a Gaussian with the codes' mean and
    covariance. None if right, else what is wrong."""
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


def frechet_distance(answer: Callable) -> str | None:
    """01.frechet_distance: the Fréchet distance between two sets of features. None if
    right, else what is wrong."""
    from gdl_vae.measure.metrics import frechet_distance

    rng = np.random.default_rng(3)
    real = rng.normal(size=(500, 4)) @ rng.normal(size=(4, 4))
    fake = rng.normal(size=(400, 4)) @ rng.normal(size=(4, 4)) + 0.5
    return close(
        "frechet_distance(real, fake)",
        answer(real, fake),
        frechet_distance(real, fake),
        rtol=1e-3,
    )


def slerp(answer: Callable) -> str | None:
    """03.slerp: spherical interpolation between two codes. None if right, else what is
    wrong."""
    from gdl_vae.measure.latent import interpolate

    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(2, 16))
    b *= 1.7
    t = np.linspace(0.0, 1.0, 9)
    got = np.stack([np.asarray(answer(a, b, float(s)), np.float64) for s in t])
    expected = interpolate(a, b, frames=len(t), method="spherical")
    wrong = close("slerp(a, b, t) for t = 0, 1/8, ..., 1", got, expected, rtol=1e-4)
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
    return close("slerp(a, 2.5 * a, t) (parallel codes)", got, expected, rtol=1e-4)


def move_to_class(answer: Callable) -> str | None:
    """03.move_to_class: latent arithmetic: move codes from one class's mean to
    another's. None if right, else what is wrong."""
    from gdl_vae.measure.latent import class_means

    rng = np.random.default_rng(9)
    labels = rng.integers(0, 10, 600)
    codes = rng.normal(size=(600, 5)) + labels[:, None] * 0.7
    means = class_means(codes, labels)
    source = codes[labels == 3][:20]
    expected = source - means[3] + means[8]
    got = answer(codes, labels, source, 3, 8)
    return close("move_to_class(codes, labels, source, 3, 8)", got, expected)


def precision(answer: Callable) -> str | None:
    """03.precision: improved precision: the share of samples inside the real manifold.
    None if right, else what is wrong."""
    from gdl_vae.measure.metrics import precision_recall

    rng = np.random.default_rng(10)
    real = rng.normal(size=(600, 5))
    fake = rng.normal(0.6, 1.2, size=(500, 5))
    expected = precision_recall(real, fake, k=3)["precision"]
    return close("precision(real, fake, k=3)", answer(real, fake, 3), expected)


def pca_reconstruction(answer: Callable) -> str | None:
    """05.pca_reconstruction: images projected on the first k principal directions, and
    back. None if right, else what is wrong."""
    from gdl_vae.measure import pca

    rng = np.random.default_rng(14)
    x = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12)) + 3.0
    expected = pca.fit(x, 4).reconstruct(x)
    got = np.asarray(answer(x, 4), np.float64)
    if got.shape == x.shape:
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        uncentred = x @ vt[:4].T @ vt[:4]
        if np.allclose(got, uncentred, atol=1e-6):
            return (
                "the data were not centred: subtract the mean image before the "
                "SVD, and add it back after projecting."
            )
    return close("pca_reconstruction(x, 4)", got, expected, rtol=1e-4, atol=1e-6)


def acai_mix(answer: Callable) -> str | None:
    """06.acai_mix: ACAI's mixing of codes, alpha in [0, 0.5]. None if right, else what
    is wrong."""
    from gdl_vae.models.acai import mix_codes

    rng = np.random.default_rng(15)
    z = rng.normal(size=(6, 4)).astype(np.float32)
    u = np.float32([0.1, 0.4, 0.5, 0.7, 0.95, 0.25])
    alpha, mixed = (np.asarray(t, np.float64) for t in answer(z, u))
    expected_alpha, expected_mixed = (np.asarray(t) for t in mix_codes(z, u))
    if alpha.shape == u.shape and np.any(alpha > 0.5):
        return (
            f"alpha reaches {alpha.max():.2f}: ACAI keeps alpha in [0, 0.5] "
            "(fold u: alpha = 0.5 - |u - 0.5|), so the critic cannot tell which "
            "end a mix came from."
        )
    wrong = close("alpha", alpha, expected_alpha)
    if wrong:
        return wrong
    reversed_weights = (1 - alpha[:, None]) * z + alpha[:, None] * z[::-1]
    if mixed.shape == z.shape and np.allclose(mixed, reversed_weights, atol=1e-5):
        return "the weights are swapped: alpha multiplies the code itself, z."
    return close("the mixed codes", mixed, expected_mixed)


def critic_loss(answer: Callable) -> str | None:
    """06.critic_loss: ACAI's critic loss. None if right, else what is wrong."""
    from gdl_vae.models.acai import critic_losses

    rng = np.random.default_rng(16)
    guess = rng.uniform(0, 0.5, 32).astype(np.float32)
    alpha = rng.uniform(0, 0.5, 32).astype(np.float32)
    real = rng.normal(0, 0.2, 32).astype(np.float32)
    expected = float(critic_losses(guess, alpha, real)["critic_loss"])
    got = float(answer(guess, alpha, real))
    if np.isclose(got, float(np.mean((guess - alpha) ** 2)), rtol=1e-4):
        return (
            "only the mixes' term: the critic must also learn to say 0 for real "
            "images blended with their reconstructions (+ mean(real_guess^2))."
        )
    return close("critic_loss(guess, alpha, real_guess)", got, expected)


def ancestral_sample(answer: Callable) -> str | None:
    """08.ancestral_sample: z = [z1, z2] from p(z2) p(z1|z2), given the noise
    and p(z1|z2)'s network. None if right, else what is wrong."""
    rng = np.random.default_rng(23)
    eps2 = rng.standard_normal((6, 3)).astype(np.float32)
    eps1 = rng.standard_normal((6, 4)).astype(np.float32)
    weights = rng.normal(0.0, 0.7, (3, 8)).astype(np.float32)

    def z1_prior(z2):
        """A stand-in for p(z1|z2)'s network: (mean, log-variance), each (N, 4)."""
        out = np.tanh(z2 @ weights)
        return out[:, :4], out[:, 4:] - 0.5

    def expected_with(scale: float, z2_first: bool = False):
        z2 = eps2  # p(z2) = N(0, I)
        mean, log_var = z1_prior(z2)
        z1 = mean + np.exp(scale * log_var) * eps1
        return np.concatenate([z2, z1] if z2_first else [z1, z2], axis=1)

    got = np.asarray(answer(eps2, eps1, z1_prior), np.float64)
    expected = expected_with(0.5)
    if got.shape == expected.shape:
        if np.allclose(got, expected_with(1.0), rtol=1e-4):
            return (
                "the scale of z1 is the variance exp(log_var); the standard "
                "deviation is exp(0.5 * log_var): the missing 1/2."
            )
        if np.allclose(got, expected_with(0.5, z2_first=True), rtol=1e-4):
            return "z comes as [z2, z1]; the kit's order is [z1, z2], z1 first."
    return close("ancestral_sample(eps2, eps1, z1_prior)", got, expected)
