"""What the checks share: a comparison that says where two arrays differ, and
the random inputs they feed an answer."""

from __future__ import annotations

import numpy as np


def close(name: str, got, expected, rtol: float = 1e-4, atol: float = 1e-4):
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


def posterior_batch(seed: int, n: int = 6, d: int = 3):
    """Random posterior parameters (mean, log_var), each (n, d), float32."""
    rng = np.random.default_rng(seed)
    mean = rng.normal(0.0, 1.5, (n, d)).astype(np.float32)
    log_var = rng.normal(-1.0, 1.0, (n, d)).astype(np.float32)
    return mean, log_var


def binary_images(seed: int, n: int = 16) -> np.ndarray:
    """n random binary 28x28x1 images, float32."""
    rng = np.random.default_rng(seed)
    return (rng.random((n, 28, 28, 1)) < 0.3).astype(np.float32)


def ratio_hint(name: str, got: float, expected: float, hints: dict) -> str | None:
    """A named mistake when got is expected times one of the hints' factors."""
    for factor, hint in hints.items():
        if np.isclose(got, factor * expected, rtol=1e-3, atol=1e-4):
            return f"{name} is {got:.5g}, the package's {expected:.5g}: {hint}"
    return None
