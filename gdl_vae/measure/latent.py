"""The latent space: grids to decode, interpolation paths, and where the codes are.

Everything here is plain NumPy on latent points, shape (N, latent_dim), so it
works for an autoencoder's codes and a VAE's posterior means alike.
"""

from __future__ import annotations

import numpy as np
import tensorflow_probability as tfp

from gdl_vae.measure.neighbours import nearest_distances

tfd = tfp.distributions
METHODS = ("linear", "spherical")


def latent_grid(
    n: int = 15, low: np.ndarray | None = None, high: np.ndarray | None = None
) -> np.ndarray:
    """An n x n grid of 2-D latent points, shape (n * n, 2), row by row.

    Without low/high the points sit at the N(0, 1) quantiles (i + 0.5) / n of
    each axis (the inverse Normal CDF), so every row and column holds the same
    prior mass and no point is infinitely far out. With low and high (each of
    shape (2,)) they are evenly spaced over that box instead. Rows run from high
    z[1] to low, so the grid reads like a scatter plot with z[1] upwards.
    """
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be a whole number >= 2; got {n!r}.")
    if (low is None) != (high is None):
        raise ValueError("give both low and high (a box), or neither (N(0, 1)).")
    if low is None:
        probabilities = (np.arange(n) + 0.5) / n
        axes = [tfd.Normal(0.0, 1.0).quantile(probabilities).numpy()] * 2
    else:
        low, high = np.asarray(low, float), np.asarray(high, float)
        if low.shape != (2,) or high.shape != (2,) or not np.all(low < high):
            raise ValueError(
                f"low and high must be two 2-D corners with low < high; got {low} "
                f"and {high}."
            )
        axes = [np.linspace(low[i], high[i], n) for i in range(2)]
    z0, z1 = np.meshgrid(axes[0], axes[1][::-1])
    return np.stack([z0.ravel(), z1.ravel()], axis=1).astype(np.float32)


def interpolate(
    start: np.ndarray, end: np.ndarray, frames: int = 10, method: str = "linear"
) -> np.ndarray:
    """Points from start to end (both included): shape (frames, d), or (N, frames, d).

    "linear" walks the straight line. "spherical" (slerp, Shoemake 1985; White
    2016 for generative models) turns along the great circle and scales the
    norm linearly, so a path between two typical N(0, I) samples stays at
    typical distances from the origin instead of cutting through its centre.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}.")
    if not isinstance(frames, (int, np.integer)) or frames < 2:
        raise ValueError(f"frames must be a whole number >= 2; got {frames!r}.")
    start, end = np.asarray(start, np.float64), np.asarray(end, np.float64)
    if start.shape != end.shape or start.ndim not in (1, 2):
        raise ValueError(
            f"start and end must both have shape (d,) or (N, d); got {start.shape} "
            f"and {end.shape}."
        )
    t = np.linspace(0.0, 1.0, frames)[:, None]  # (frames, 1)
    a, b = np.atleast_2d(start)[:, None, :], np.atleast_2d(end)[:, None, :]
    if method == "linear":
        path = (1 - t) * a + t * b
    else:
        norm_a = np.linalg.norm(a, axis=-1, keepdims=True)
        norm_b = np.linalg.norm(b, axis=-1, keepdims=True)
        unit_a = a / np.maximum(norm_a, 1e-12)
        unit_b = b / np.maximum(norm_b, 1e-12)
        cos = np.clip(np.sum(unit_a * unit_b, axis=-1, keepdims=True), -1.0, 1.0)
        angle = np.arccos(cos)
        sin = np.sin(angle)
        # Nearly parallel (or opposite) directions: the arc is undefined or a
        # line; fall back to normalised linear mixing of the directions.
        safe = sin > 1e-6
        wa = np.where(safe, np.sin((1 - t) * angle) / np.where(safe, sin, 1), 1 - t)
        wb = np.where(safe, np.sin(t * angle) / np.where(safe, sin, 1), t)
        direction = wa * unit_a + wb * unit_b
        direction /= np.maximum(
            np.linalg.norm(direction, axis=-1, keepdims=True), 1e-12
        )
        path = direction * ((1 - t) * norm_a + t * norm_b)
    path = path.astype(np.float32)
    return path[0] if start.ndim == 1 else path


def in_empty_space(
    codes: np.ndarray, points: np.ndarray, quantile: float = 0.99
) -> np.ndarray:
    """For each point, whether it falls in empty latent space: far from every
    code, (M,) booleans.

    "Far" is farther than the `quantile` of the codes' own nearest-neighbour
    distances, a radius that scales with the codes, so an autoencoder's codes
    (spread over tens of units) and a VAE's (within a few units of 0) are judged
    alike.
    """
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be in (0, 1); got {quantile}.")
    radius = np.quantile(nearest_distances(codes, codes, exclude_self=True), quantile)
    return nearest_distances(points, codes) > radius


def prior_holes(
    means: np.ndarray,
    stds: np.ndarray,
    n: int = 2000,
    threshold: float = 0.1,
    seed: int | None = None,
) -> float:
    """Share of the prior's mass where the codes are thin: holes in the space.

    The posteriors q(z|x_i) = N(means_i, stds_i^2) of N images together form
    the aggregate posterior q(z) = (1/N) sum_i q(z|x_i), where the decoder was
    trained. Draw n points from the prior N(0, I) and count those where q(z)
    is below `threshold` times the prior's own density: prior samples that
    land where (almost) no image's code lies. 0 when q(z) covers the prior,
    near 1 when the codes are points (sigma -> 0) or sit elsewhere.
    """
    means = np.asarray(means, np.float64)
    stds = np.asarray(stds, np.float64)
    if means.ndim != 2 or means.shape != stds.shape or np.any(stds <= 0):
        raise ValueError(
            f"means and stds must be (N, d) of one shape, stds > 0; got {means.shape} "
            f"and {stds.shape}."
        )
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be in (0, 1); got {threshold}.")
    d = means.shape[1]
    z = np.random.default_rng(seed).standard_normal((n, d))
    precision = 1.0 / stds**2
    # log N(z; m, s) = -1/2 sum (z - m)^2 / s^2 - sum log s - d/2 log 2 pi, with
    # the square expanded into matrix products: (n, N) at a time, in chunks.
    constant = -0.5 * np.sum(means**2 * precision, axis=1) - np.sum(np.log(stds), 1)
    log_q = np.empty(n)
    for i in range(0, n, 256):
        chunk = z[i : i + 256]
        log_k = (
            -0.5 * (chunk**2) @ precision.T
            + chunk @ (means * precision).T
            + constant[None, :]
        )
        peak = log_k.max(axis=1, keepdims=True)
        log_q[i : i + 256] = peak[:, 0] + np.log(np.mean(np.exp(log_k - peak), 1))
    log_p = -0.5 * np.sum(z**2, axis=1)  # the same -d/2 log 2 pi left out of both
    return float(np.mean(log_q - log_p < np.log(threshold)))


def matched_gaussian(codes: np.ndarray, n: int, seed: int | None = None) -> np.ndarray:
    """n points from the Gaussian with the codes' mean and covariance, (n, d).

    An autoencoder has no prior; this is the natural stand-in when comparing its
    samples with a VAE's N(0, I) samples.
    """
    codes = np.asarray(codes, np.float64)
    rng = np.random.default_rng(seed)
    cov = np.atleast_2d(np.cov(codes, rowvar=False))
    return rng.multivariate_normal(codes.mean(axis=0), cov, size=n).astype(np.float32)


def class_means(codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean code of each class 0..max(labels), shape (n_classes, d)."""
    codes, labels = np.asarray(codes), np.asarray(labels)
    classes = np.arange(labels.max() + 1)
    missing = [c for c in classes if not np.any(labels == c)]
    if missing:
        raise ValueError(f"no codes for classes {missing}; give codes of every class.")
    return np.stack([codes[labels == c].mean(axis=0) for c in classes])


def active_units(codes: np.ndarray, threshold: float = 0.01) -> int:
    """How many latent dimensions the data uses (Burda et al. 2016).

    A dimension is active when its posterior mean E[z_u | x] varies across the
    data with variance above threshold; an inactive one decodes nothing, its
    posterior being the prior for every image. Pass a VAE's `codes(x)`.
    """
    codes = np.asarray(codes, np.float64)
    if codes.ndim != 2:
        raise ValueError(f"codes must be (N, latent_dim); got shape {codes.shape}.")
    return int(np.sum(codes.var(axis=0) > threshold))
