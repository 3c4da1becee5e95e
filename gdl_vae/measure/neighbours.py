"""Nearest neighbours: the one distance kernel every measure of the kit uses.

Distances between N points and M reference points are computed CHUNK rows at
a time, so memory stays at CHUNK x M numbers whatever N is. The latent
statistics (empty space), the image distances (memorisation) and the
precision and recall of samples all read them from here.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

CHUNK = 1024  # rows of a distance matrix computed at a time: bounds memory


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of a and b, (len(a), len(b)),
    from ||a||^2 + ||b||^2 - 2 a.b, clipped at 0 (rounding can go below)."""
    d = (a**2).sum(1)[:, None] + (b**2).sum(1)[None, :] - 2 * a @ b.T
    return np.maximum(d, 0.0)


def blocks(
    points: np.ndarray, reference: np.ndarray
) -> Iterator[tuple[int, np.ndarray]]:
    """(start, squared distances of points[start:start + CHUNK] to reference)."""
    for start in range(0, len(points), CHUNK):
        yield start, squared_distances(points[start : start + CHUNK], reference)


def nearest_distances(
    points: np.ndarray, reference: np.ndarray, exclude_self: bool = False
) -> np.ndarray:
    """Euclidean distance from each point to its nearest reference point, (N,).

    exclude_self=True, with points and reference the same array, skips each
    point's zero distance to itself (the nearest-neighbour distances of a set).
    """
    points = np.asarray(points, np.float64)
    reference = np.asarray(reference, np.float64)
    if points.ndim != 2 or reference.ndim != 2 or points.shape[1] != reference.shape[1]:
        raise ValueError(
            f"points and reference must be (N, d) and (M, d); got {points.shape} "
            f"and {reference.shape}."
        )
    out = np.empty(len(points))
    for start, d in blocks(points, reference):
        if exclude_self:
            rows = np.arange(len(d))
            d[rows, rows + start] = np.inf
        out[start : start + len(d)] = np.sqrt(d.min(axis=1))
    return out


def kth_distances(x: np.ndarray, k: int) -> np.ndarray:
    """Distance from each row of x to its k-th nearest other row, (N,)."""
    radii = np.empty(len(x))
    for start, d in blocks(x, x):
        # Index k: the row itself is its own nearest neighbour, at distance 0.
        radii[start : start + len(d)] = np.partition(d, k, axis=1)[:, k]
    return np.sqrt(radii)


def inside_any_ball(
    points: np.ndarray, centres: np.ndarray, radii: np.ndarray
) -> np.ndarray:
    """For each point: does some centre's ball (its radius) contain it?"""
    inside = np.empty(len(points), bool)
    for start, d in blocks(points, centres):
        inside[start : start + len(d)] = (np.sqrt(d) <= radii[None, :]).any(axis=1)
    return inside
