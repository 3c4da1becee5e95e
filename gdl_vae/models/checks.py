"""The checks of each model's own options, in plain Python.

The model classes call them when they are built, and the command line calls
them (through the registry) before it loads TensorFlow or any data, so a bad
option is refused at once, with the same words.
"""

from __future__ import annotations

import math

PRIORS = ("normal", "vamp")
KL_TERMS = ("both", "mean", "variance")


def count(value, name: str = "n", fix: str = "") -> int:
    """value as an int, or a ValueError unless it is a whole number >= 1."""
    whole = isinstance(value, int) or type(value).__name__.startswith(("int", "uint"))
    if isinstance(value, bool) or not whole or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1; got {value!r}.{fix}")
    return int(value)


def finite(value, name: str, low: float, high: float = math.inf, fix: str = ""):
    """value, or a ValueError unless it is a finite number in [low, high]."""
    if not (isinstance(value, (int, float)) and math.isfinite(value)):
        raise ValueError(f"{name} must be a finite number; got {value!r}.{fix}")
    if not low <= value <= high:
        where = f">= {low:g}" if high == math.inf else f"in [{low:g}, {high:g}]"
        raise ValueError(f"{name} must be {where}; got {value!r}.{fix}")
    return value


def vae_options(
    beta: float = 1.0,
    prior: str = "normal",
    n_pseudo_inputs: int = 500,
    k: int = 1,
    dreg: bool = False,
    kl_term: str = "both",
    fixed_scale: float | None = None,
) -> None:
    """Raise ValueError unless the VAE's options make a VAE."""
    if prior not in PRIORS:
        raise ValueError(f"prior must be one of {', '.join(PRIORS)}; got {prior!r}.")
    count(k, "k", " Fix: k=1 trains on the ELBO, k=5 or 50 on IWAE.")
    count(n_pseudo_inputs, "n_pseudo_inputs")
    if kl_term not in KL_TERMS:
        raise ValueError(f"kl_term must be one of {KL_TERMS}; got {kl_term!r}.")
    if kl_term != "both" and (prior != "normal" or k > 1):
        raise ValueError(
            f"kl_term={kl_term!r} splits the KL to N(0, I); it needs "
            "prior='normal' and k=1."
        )
    if dreg and (prior != "normal" or k == 1):
        raise ValueError(
            "dreg=True needs k > 1 and prior='normal': it is a gradient of the "
            f"importance-weighted bound; got k={k}, prior={prior!r}."
        )
    finite(beta, "beta", 0, fix=" beta=1 is the ELBO.")
    if fixed_scale is not None and not fixed_scale > 0:
        raise ValueError(f"fixed_scale must be > 0 or None; got {fixed_scale}.")


def acai_options(adversarial_weight: float = 0.5, gamma: float = 0.2) -> None:
    """Raise ValueError unless ACAI's options make an ACAI."""
    finite(
        adversarial_weight,
        "adversarial_weight",
        0,
        fix=" (the paper's lambda is 0.5; 0 is a plain autoencoder)",
    )
    finite(gamma, "gamma", 0, 1, fix=" (paper: 0.2)")
