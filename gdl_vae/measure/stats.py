"""Error bars: a mean with its standard error, and when a difference counts.

A verdict that rests on a difference between two models is measured more than
once (over seeds, or by resampling the test images), printed as mean ±
standard error, and claimed only where the difference exceeds about two
standard errors (`RESOLVED_AT`); otherwise it is not resolved at this budget.

    >>> a = over_seeds([0.54, 0.57, 0.52])   # one number per seed
    >>> b = over_seeds([0.35, 0.41, 0.33])
    >>> print(f"{a:.2f} against {b:.2f}: {compare(a, b, 'precision')}")
    0.54 ± 0.01 against 0.36 ± 0.02: precision higher by 0.180 ± 0.028 (resolved)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

RESOLVED_AT = 2.0  # standard errors a difference must exceed to be claimed


@dataclass(frozen=True)
class Estimate:
    """A mean, its standard error and the number of measurements behind it.

    Formats as "mean ± se", each with the format spec given: f"{e:.2f}";
    without one, to the decimal that gives the standard error two significant
    digits (f"{e}": "0.0021 ± 0.00040", "4.6 ± 1.0").
    """

    mean: float
    se: float
    n: int

    def __format__(self, spec: str) -> str:
        if not spec:
            digits = 1 - math.floor(math.log10(self.se)) if self.se > 0 else 3
            spec = f".{max(0, digits)}f"
        return f"{self.mean:{spec}} ± {self.se:{spec}}"

    def __str__(self) -> str:
        return format(self)

    def __sub__(self, other: Estimate) -> Estimate:
        """The difference of two independent estimates; their errors add in
        quadrature."""
        return Estimate(
            self.mean - other.mean, math.hypot(self.se, other.se), min(self.n, other.n)
        )

    @property
    def resolved(self) -> bool:
        """Whether the mean is farther from 0 than RESOLVED_AT standard errors
        (for a difference: whether the two things measurably differ)."""
        return abs(self.mean) > RESOLVED_AT * self.se


def _values(
    values: Sequence[float], least: int, what: str, fix: str = "more seeds (3 or more)"
) -> np.ndarray:
    values = np.asarray(values, np.float64).ravel()
    if len(values) < least or not np.all(np.isfinite(values)):
        raise ValueError(
            f"{what} needs at least {least} finite values; got {values.tolist()}. "
            f"Fix: measure over {fix}."
        )
    return values


def standard_error(values, axis: int = 0) -> np.ndarray:
    """The standard error of the mean along `axis`: sample standard deviation
    / sqrt(n), for a curve measured once per seed (seeds along axis 0)."""
    values = np.asarray(values, np.float64)
    return values.std(axis=axis, ddof=1) / math.sqrt(values.shape[axis])


def over_seeds(values: Sequence[float]) -> Estimate:
    """The mean of one measurement per seed, with its standard error
    (sample standard deviation / sqrt(n)); at least 2 seeds."""
    values = _values(values, 2, "over_seeds")
    return Estimate(float(values.mean()), float(standard_error(values)), len(values))


def summarise(rows: Sequence[Mapping], key: str = "model") -> list[dict]:
    """Rows measured once per seed (several rows per row[key]) as one row per
    key, each number an Estimate over the seeds; other values as the first
    row has them. The rows' order of first appearance is kept."""
    groups: dict = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    out = []
    for group in groups.values():
        row = {}
        for field, value in group[0].items():
            values = [r.get(field) for r in group]
            numbers = all(
                isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                for v in values
            )
            row[field] = (
                over_seeds(values) if field != key and numbers and len(group) > 1
                else value
            )  # fmt: skip
        out.append(row)
    return out


def bootstrap(
    values: Sequence[float] | np.ndarray,
    statistic: Callable[[np.ndarray], float] = np.mean,
    n_resamples: int = 1000,
    seed: int = 0,
) -> Estimate:
    """statistic(values), with the standard error from resampling values with
    replacement: for one model measured on many test images, where training
    more seeds costs too much. values holds one item per row: a number per
    image, or an image's whole row (its code, for a statistic over codes such
    as the count of active units). It sees only the test set's noise, not the
    training's: prefer over_seeds where seeds are affordable."""
    values = np.asarray(values, np.float64)
    if values.ndim == 1:
        values = _values(values, 2, "bootstrap", "more items (test images)")
    elif len(values) < 2 or not np.all(np.isfinite(values)):
        raise ValueError(
            f"bootstrap needs at least 2 finite rows; got {len(values)} rows. "
            "Fix: measure over more items (test images)."
        )
    rng = np.random.default_rng(seed)
    picks = rng.integers(len(values), size=(n_resamples, len(values)))
    resampled = np.array([statistic(values[p]) for p in picks])
    return Estimate(float(statistic(values)), float(resampled.std(ddof=1)), len(values))


def compare(a: Estimate, b: Estimate, what: str = "", unit: str = "") -> str:
    """One line on a - b: which is higher and by how much, and whether that is
    resolved (more than RESOLVED_AT standard errors) at this budget."""
    return verdict(a - b, what, unit)


def paired(
    a: Sequence[float],
    b: Sequence[float],
    what: str = "",
    unit: str = "",
    seed: int = 0,
) -> str:
    """compare for two models measured on the same items (one value per test
    image each): the mean of the per-item differences a - b, bootstrapped.
    Pairing removes the items' own spread, which both models share, so it
    resolves smaller differences than compare on two separate estimates."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"paired needs one value per item from each model; got {a.shape} and "
            f"{b.shape}."
        )
    return verdict(bootstrap(a - b, seed=seed), what, unit)


def verdict(difference: Estimate, what: str = "", unit: str = "") -> str:
    """The sentence compare and paired print for a difference a - b."""
    unit = f" {unit}" if unit else ""
    if not difference.resolved:
        return (
            f"{what + ' ' if what else ''}difference {difference}{unit}: not "
            f"resolved at this budget (under {RESOLVED_AT:g} standard errors)"
        )
    direction = "higher" if difference.mean > 0 else "lower"
    size = Estimate(abs(difference.mean), difference.se, difference.n)
    return f"{what + ' ' if what else ''}{direction} by {size}{unit} (resolved)"
