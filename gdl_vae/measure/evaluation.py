"""How a trained model's decoder behaves: continuity, memorisation, read-out.

For any model with `decode_mean` (every LatentModel):
decoded_paths:          images along latent interpolation paths;
step_changes:           how much the decoded image changes per step along them;
continuity:             those changes summed up in three numbers;
path_continuity:        the same three numbers for any paths of images;
direction_changes:      the change for a small step in a random direction;
nearer_training_share:  a memorisation test for generated images;
latent_classifier_hits: how linearly the codes separate the classes, image by
image (its mean is the read-out accuracy).

The likelihood bounds (ELBO, IWAE) live with the model that has them:
gdl_vae.measure.bounds, called as vae.elbo(x) and vae.iwae_bound(x).
"""

from __future__ import annotations

import math

import keras
import numpy as np

from gdl_vae._quiet import expected_retracing
from gdl_vae.measure.latent import interpolate
from gdl_vae.measure.neighbours import nearest_distances


def _rms(a: np.ndarray, b: np.ndarray, keep: int) -> np.ndarray:
    """Root-mean-square pixel difference over all but the first `keep` axes."""
    difference = (a - b).reshape(*a.shape[:keep], -1)
    return np.sqrt(np.mean(difference**2, axis=-1))


def decoded_paths(
    model, start: np.ndarray, end: np.ndarray, frames: int = 20, method: str = "linear"
) -> np.ndarray:
    """Decoded interpolations: images of shape (N, frames, *image_shape)."""
    z = np.atleast_2d(start), np.atleast_2d(end)
    path = interpolate(*z, frames=frames, method=method)  # (N, frames, d)
    images = model.decode_mean(path.reshape(-1, path.shape[-1]))
    return images.reshape(len(path), frames, *images.shape[1:])


def step_changes(
    model, start: np.ndarray, end: np.ndarray, frames: int = 20, method: str = "linear"
) -> np.ndarray:
    """RMS pixel change between consecutive decoded frames, shape (N, frames - 1)."""
    return _steps(decoded_paths(model, start, end, frames, method))


def _steps(images: np.ndarray) -> np.ndarray:
    """RMS change between consecutive frames of (N, frames, ...) images."""
    return _rms(images[:, 1:], images[:, :-1], keep=2)


def continuity(
    model, start: np.ndarray, end: np.ndarray, frames: int = 20, method: str = "linear"
) -> dict[str, float]:
    """How smoothly the decoded image changes along latent paths: the numbers of
    path_continuity for the model's decoded paths from start to end."""
    return path_continuity(decoded_paths(model, start, end, frames, method))


def path_continuity(images: np.ndarray) -> dict[str, float]:
    """How smoothly images change along paths, shape (N, frames, ...), averaged.

    step_change: mean RMS pixel change per step (pixels in [0, 1]). A blurrier
        decoder scores lower here without being any smoother: blur shrinks
        every difference between images.
    largest_step_share: the largest step's share of the path's total change;
        1 / (frames - 1) when the change is spread evenly, 1 when it all happens
        in one jump. Blur shrinks all steps alike and leaves it (nearly) as it
        is; so do the latent scale and the number of pixels.
    path_ratio: total change along the path over the direct change between its
        two end images; 1 for a straight cross-fade, larger when the path
        detours through other images.
    """
    images = np.asarray(images, np.float32)
    if images.ndim < 3 or images.shape[1] < 2:
        raise ValueError(f"images must be (N, frames >= 2, ...); got {images.shape}.")
    steps = _steps(images)
    total = steps.sum(axis=1)
    direct = _rms(images[:, -1], images[:, 0], keep=1)
    return {
        "step_change": float(steps.mean()),
        "largest_step_share": float(
            np.mean(steps.max(axis=1) / np.maximum(total, 1e-12))
        ),
        "path_ratio": float(np.mean(total / np.maximum(direct, 1e-12))),
    }


def direction_changes(
    model, codes: np.ndarray, step: float, seed: int | None = None
) -> np.ndarray:
    """RMS pixel change when each code moves `step` in a random direction, (N,).

    Give step in the units of the codes' spread (for instance a tenth of their
    RMS distance from their mean) so that models with latent spaces of
    different sizes compare.
    """
    codes = np.asarray(codes, np.float32)
    directions = np.random.default_rng(seed).normal(size=codes.shape)
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    here = model.decode_mean(codes)
    there = model.decode_mean(codes + step * directions.astype(np.float32))
    return _rms(there, here, keep=1)


def nearest_image_distances(images: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """RMS pixel distance from each image to its nearest reference image, (N,)."""
    a = np.asarray(images, np.float32).reshape(len(images), -1)
    b = np.asarray(reference, np.float32).reshape(len(reference), -1)
    return nearest_distances(a, b) / math.sqrt(a.shape[1])


def nearer_training_share(
    images: np.ndarray, train: np.ndarray, held_out: np.ndarray
) -> float:
    """Share of images whose nearest neighbour is a training image rather than a
    held-out one, with as many training as held-out images: a memorisation test.

    A model that generalises draws from the data distribution, so a sample is
    about as likely to sit next to either set: on MNIST, real training digits
    outside train score about 0.5. A model that copies its training images
    scores above that. A raw distance to the training set would reward blur (a
    blurry average is close to everything); this share is fooled less, but not
    immune: MNIST training digits blurred by 2 pixels score about 0.37. Only a
    share clearly above that of real digits is a sign of copying. train must be
    images the model was trained on and held_out images it never saw, the same
    number of each.
    """
    if len(train) != len(held_out):
        raise ValueError(
            f"give as many training as held-out images (got {len(train)} and "
            f"{len(held_out)}), or the larger set wins by size alone."
        )
    to_train = nearest_image_distances(images, train)
    to_held_out = nearest_image_distances(images, held_out)
    return float(np.mean(to_train < to_held_out))


def latent_classifier_hits(
    codes_train: np.ndarray,
    y_train: np.ndarray,
    codes_test: np.ndarray,
    y_test: np.ndarray,
    epochs: int = 100,
    seed: int = 0,
) -> np.ndarray:
    """For each held-out code, whether a single-layer (softmax) classifier
    trained on the frozen training codes gets its class right, (N_test,).

    The representation test of Berthelot et al. (2019): how linearly the codes
    separate the classes. Codes are standardised with the training codes'
    mean and spread, which changes what the optimizer sees, not what a linear
    layer can separate. One value per image, so that two models' codes can be
    compared image by image (stats.paired).
    """
    codes_train = np.asarray(codes_train, np.float32)
    codes_test = np.asarray(codes_test, np.float32)
    if codes_train.ndim != 2 or codes_test.shape[1:] != codes_train.shape[1:]:
        raise ValueError(
            f"codes must be (N, latent_dim) for both sets; got {codes_train.shape} "
            f"and {codes_test.shape}."
        )
    if len(codes_train) != len(y_train) or len(codes_test) != len(y_test):
        raise ValueError("give one label per code, for both sets.")
    mean = codes_train.mean(axis=0)
    spread = codes_train.std(axis=0) + 1e-6
    n_classes = int(max(np.max(y_train), np.max(y_test))) + 1
    keras.utils.set_random_seed(seed)
    classifier = keras.Sequential(
        [keras.Input((codes_train.shape[1],)), keras.layers.Dense(n_classes)]
    )
    classifier.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        # The layer is tiny, so the time goes to Python between steps: run many
        # steps per call into the graph (the same steps, in the same order).
        steps_per_execution=64,
    )
    with expected_retracing():  # a new classifier per call, each traced anew
        classifier.fit(
            (codes_train - mean) / spread,
            y_train,
            batch_size=256,
            epochs=epochs,
            verbose=0,
        )
        logits = classifier.predict((codes_test - mean) / spread, verbose=0)
    return np.argmax(logits, axis=1) == np.asarray(y_test)
