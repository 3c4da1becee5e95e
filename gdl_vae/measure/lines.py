"""The "lines" benchmark of Berthelot et al. (ICLR 2019): can an autoencoder
interpolate?

Each image is one anti-aliased line of fixed length from the centre of a 32x32
square, at an angle in [0, 2 pi). The data has one degree of freedom, the
angle, so the ideal interpolation between two lines is known: a line that turns
from one angle to the other. Two numbers say how far a model's interpolation is
from that ideal:

mean_distance: how far each decoded frame is from the nearest true line image
    (cosine distance, images in [-1, 1] as in the paper); 0 if every frame is a
    clean line.
smoothness:    the largest jump in angle between neighbouring frames, as a share
    of the whole turn, minus the share of an even turn, 1 / (frames - 1); 0 if
    the line turns at constant speed, near 1 if it jumps at once.

Everything is generated here, no download; the data and metrics are plain NumPy.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from gdl_vae.measure.evaluation import decoded_paths

SIZE = 32  # image height and width, as in the paper
WIDTH = 2.0  # line thickness in pixels
SUBPIXELS = 4  # anti-aliasing: 4 x 4 samples per pixel
REFERENCE_LINES = 10_000  # true lines the metrics compare each frame with
FRAMES = 16  # frames per interpolation, both ends included


def _check_size(size: int) -> int:
    if not isinstance(size, (int, np.integer)) or size < 8:
        raise ValueError(f"size must be a whole number >= 8; got {size!r}.")
    return int(size)


@functools.lru_cache(maxsize=4)
def _subpixel_centres(size: int) -> np.ndarray:
    """(size * size * SUBPIXELS**2, 2) sample points (x, y), pixel by pixel."""
    offsets = (np.arange(SUBPIXELS) + 0.5) / SUBPIXELS
    sub_y, sub_x = np.meshgrid(offsets, offsets, indexing="ij")
    pix_y, pix_x = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    x = pix_x[:, :, None] + sub_x.ravel()[None, None]
    y = pix_y[:, :, None] + sub_y.ravel()[None, None]
    return np.stack([x.ravel(), y.ravel()], axis=1)


def draw_lines(angles: np.ndarray, size: int = SIZE) -> np.ndarray:
    """One image per angle (radians, counter-clockwise from "east"): a line of
    width 2 from the centre to one pixel short of the border, pixels in [0, 1]
    (the share of each pixel the line covers), float32 (N, size, size, 1)."""
    size = _check_size(size)
    angles = np.asarray(angles, np.float64).reshape(-1)
    if not np.all(np.isfinite(angles)):
        raise ValueError("angles must be finite numbers (radians).")
    points = _subpixel_centres(size) - size / 2  # from the centre
    length = size / 2 - 1
    images = np.empty((len(angles), size * size), np.float32)
    for start in range(0, len(angles), 256):  # bounded memory
        chunk = angles[start : start + 256]
        # Image rows grow downwards, so a counter-clockwise angle has -sin.
        direction = np.stack([np.cos(chunk), -np.sin(chunk)], axis=1)
        along = direction @ points.T  # (n, samples): position along the line
        cross = direction[:, :1] * points[:, 1] - direction[:, 1:] * points[:, 0]
        across = np.abs(cross)  # distance from the line's axis
        inside = (along >= 0) & (along <= length) & (across <= WIDTH / 2)
        coverage = inside.reshape(len(chunk), size * size, SUBPIXELS**2).mean(axis=2)
        images[start : start + len(chunk)] = coverage
    return images.reshape(len(angles), size, size, 1)


def make_lines(n: int, size: int = SIZE, seed: int | None = 0) -> tuple:
    """n line images at angles drawn uniformly from [0, 2 pi): (images, angles)."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number >= 1; got {n!r}.")
    angles = np.random.default_rng(seed).uniform(0.0, 2 * math.pi, int(n))
    return draw_lines(angles, size), angles


@functools.lru_cache(maxsize=2)
def reference_lines(size: int = SIZE, n: int = REFERENCE_LINES) -> tuple:
    """n true lines at evenly spaced angles, flattened and scaled to [-1, 1]:
    (images (n, size * size), angles (n,)). Cached: the metrics reuse them."""
    angles = np.arange(n) * (2 * math.pi / n)
    flat = draw_lines(angles, size).reshape(n, -1) * 2.0 - 1.0
    return flat, angles


def closest_lines(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each image (pixels in [0, 1]): the cosine distance to the nearest true
    line and that line's angle, as in the paper (images compared in [-1, 1])."""
    images = np.asarray(images, np.float32)
    if images.ndim != 4 or images.shape[1] != images.shape[2] or images.shape[3] != 1:
        raise ValueError(
            f"images must be (N, size, size, 1) line images; got {images.shape}."
        )
    reference, angles = reference_lines(images.shape[1])
    flat = images.reshape(len(images), -1).astype(np.float64) * 2.0 - 1.0
    flat /= np.linalg.norm(flat, axis=1, keepdims=True)
    unit = reference / np.linalg.norm(reference, axis=1, keepdims=True)
    distance = np.empty(len(flat))
    angle = np.empty(len(flat))
    for start in range(0, len(flat), 1024):  # bounded memory: 1024 x n at a time
        similarity = flat[start : start + 1024] @ unit.T
        best = np.argmax(similarity, axis=1)
        distance[start : start + 1024] = 1.0 - similarity[np.arange(len(best)), best]
        angle[start : start + 1024] = angles[best]
    return distance, angle


def smoothness(angles: np.ndarray) -> np.ndarray:
    """Per interpolation (rows of `angles`, radians): the largest step in angle
    as a share of the whole turn, minus the even share 1 / (frames - 1).

    0 for a line that turns at constant speed; 1 - 1 / (frames - 1) for one that
    jumps in a single step. NaN where both ends have the same angle (no turn to
    share out). Angles are unwrapped first: a step from 6.2 to 0.1 rad is a
    small turn, not a large one.
    """
    angles = np.unwrap(np.atleast_2d(np.asarray(angles, np.float64)), axis=1)
    if angles.shape[1] < 3:
        raise ValueError(f"need at least 3 frames per row; got {angles.shape[1]}.")
    steps = np.abs(np.diff(angles, axis=1))
    total = np.abs(angles[:, -1] - angles[:, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        score = steps.max(axis=1) / total - 1.0 / (angles.shape[1] - 1)
    score[total < 1e-4] = np.nan
    return score


def true_interpolation(
    start: np.ndarray, end: np.ndarray, frames: int = FRAMES, size: int = SIZE
) -> np.ndarray:
    """The ideal frames between lines at angles start and end, turning the short
    way round: images (N, frames, size, size, 1)."""
    start = np.asarray(start, np.float64).reshape(-1)
    end = np.asarray(end, np.float64).reshape(-1)
    turn = (end - start + math.pi) % (2 * math.pi) - math.pi  # in [-pi, pi)
    t = np.linspace(0.0, 1.0, frames)
    angles = start[:, None] + t[None] * turn[:, None]
    images = draw_lines(angles.ravel(), size)
    return images.reshape(len(start), frames, *images.shape[1:])


def path_scores(frames: np.ndarray) -> dict[str, np.ndarray]:
    """Mean distance and smoothness of each interpolation path in frames
    (N, frames, H, W, 1): two (N,) arrays, one value per path, so that models
    scored on the same pairs can be compared path by path (stats.paired).
    Smoothness is NaN for a path whose two ends have the same angle.
    """
    frames = np.asarray(frames)
    if frames.ndim != 5:
        raise ValueError(
            f"frames must be (N, frames, size, size, 1); got {frames.shape}."
        )
    distance, angle = closest_lines(frames.reshape(-1, *frames.shape[2:]))
    return {
        "mean_distance": distance.reshape(frames.shape[:2]).mean(axis=1),
        "smoothness": smoothness(angle.reshape(frames.shape[:2])),
    }


def interpolation_scores(frames: np.ndarray) -> dict[str, float]:
    """Mean distance and mean smoothness of interpolations (N, frames, H, W, 1).

    Smoothness averages over the paths whose two ends differ in angle; NaN if
    none does (a model that decodes every code to the same image).
    """
    return _means(path_scores(frames))


def _means(scores: dict[str, np.ndarray]) -> dict[str, float]:
    turning = scores["smoothness"][~np.isnan(scores["smoothness"])]
    return {
        "mean_distance": float(scores["mean_distance"].mean()),
        "smoothness": float(turning.mean()) if len(turning) else math.nan,
    }


def benchmark_paths(
    model, n_pairs: int = 256, frames: int = FRAMES, seed: int = 1
) -> dict[str, np.ndarray]:
    """path_scores for a trained model: interpolate between n_pairs pairs of
    new random lines (the same pairs for any model with this seed), decoding
    `frames` points on the straight path between their codes."""
    size = model.image_shape[0]
    images, _ = make_lines(2 * n_pairs, size, seed=seed)
    start, end = model.codes(images[:n_pairs]), model.codes(images[n_pairs:])
    return path_scores(decoded_paths(model, start, end, frames))


def benchmark(
    model, n_pairs: int = 256, frames: int = FRAMES, seed: int = 1
) -> dict[str, float]:
    """The paper's two numbers for a trained model, averaged over the paths of
    benchmark_paths."""
    return _means(benchmark_paths(model, n_pairs, frames, seed))
