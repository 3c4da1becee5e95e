"""Instruments for generated images, computed on features of a fixed classifier.

A generator is judged by comparing its samples with real images in the feature
space of a network trained to tell digits apart, where distances follow what
the images show rather than their pixels:

frechet_distance:  the distance between Gaussians fitted to the two feature
                   sets (FID-style; Heusel et al., NeurIPS 2017). 0 for equal
                   statistics; it grows with blur, noise and missing classes.
precision_recall:  improved precision and recall (Kynkäänniemi et al.,
                   NeurIPS 2019). Each feature vector gets a ball reaching to
                   its k-th nearest neighbour in its own set. Precision: the
                   share of samples inside some real image's ball (quality).
                   Recall: the share of real images inside some sample's ball
                   (diversity: how much of the data the samples cover).
class_shares:      how often each class is predicted, to spot missing modes.
calibration_sets:  real, blurred, noisy, blended and one-class digits, to show
                   what each number says about images whose quality is known.

Every function takes plain arrays of features, shape (N, D), so the same
instruments work with any feature extractor.
"""

from __future__ import annotations

import numpy as np

from gdl_vae.measure import neighbours


def _features(x: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(x, np.float64)
    if x.ndim != 2 or len(x) < 2 or not np.all(np.isfinite(x)):
        raise ValueError(
            f"{name} must be finite features of shape (N, D) with N >= 2; got shape "
            f"{x.shape}. Fix: pass classifier features, one row per image."
        )
    return x


def _psd_sqrt(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """||mu_r - mu_f||^2 + Tr(S_r + S_f - 2 (S_r S_f)^(1/2)) of the two feature sets.

    The trace of (S_r S_f)^(1/2) is computed as that of (A S_f A)^(1/2) with
    A = S_r^(1/2): the same eigenvalues, from symmetric matrices only.
    """
    real, fake = _features(real, "real"), _features(fake, "fake")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature sizes differ: {real.shape[1]} and {fake.shape[1]}")
    mean_gap = real.mean(axis=0) - fake.mean(axis=0)
    cov_real = np.cov(real, rowvar=False)
    cov_fake = np.cov(fake, rowvar=False)
    root = _psd_sqrt(cov_real)
    cross = np.linalg.eigvalsh(root @ cov_fake @ root)
    trace = (
        np.trace(cov_real)
        + np.trace(cov_fake)
        - 2 * np.sqrt(np.clip(cross, 0, None)).sum()
    )
    return float(mean_gap @ mean_gap + max(trace, 0.0))


def knn_radii(x: np.ndarray, k: int = 3) -> np.ndarray:
    """Distance from each row of x to its k-th nearest other row, shape (N,)."""
    x = _features(x, "x")
    if not 1 <= k < len(x):
        raise ValueError(f"k must be in 1..{len(x) - 1} for {len(x)} rows; got {k}.")
    return neighbours.kth_distances(x, k)


def precision_recall(
    real: np.ndarray, fake: np.ndarray, k: int = 3
) -> dict[str, float]:
    """Improved precision and recall of samples (fake) against real features.

    k = 3 is the paper's choice. Use as many samples as real images: both
    numbers depend on the sizes of the two sets.
    """
    real, fake = _features(real, "real"), _features(fake, "fake")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature sizes differ: {real.shape[1]} and {fake.shape[1]}")
    precision = neighbours.inside_any_ball(fake, real, knn_radii(real, k)).mean()
    recall = neighbours.inside_any_ball(real, fake, knn_radii(fake, k)).mean()
    return {"precision": float(precision), "recall": float(recall)}


def class_shares(predicted: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Share of samples assigned to each class, shape (num_classes,), sums to 1."""
    predicted = np.asarray(predicted)
    if predicted.ndim != 1 or len(predicted) == 0:
        raise ValueError("predicted must be a non-empty 1-D array of class indices.")
    if predicted.min() < 0 or predicted.max() >= num_classes:
        raise ValueError(f"class indices must lie in 0..{num_classes - 1}.")
    return np.bincount(predicted, minlength=num_classes) / len(predicted)


def calibration_sets(
    x: np.ndarray, y: np.ndarray, n: int, seed: int | None = None
) -> dict[str, np.ndarray]:
    """n images each of what the instruments must tell apart, from real digits x.

    Real digits (the best a generator can do: score them against other real
    digits), the same digits blurred by 1 and by 2 pixels, with pixel noise,
    pixel averages of two digits of different classes, and digits of one class
    only (sharp but not diverse). Give training images when the reference is
    the test set.
    """
    from gdl_vae.measure.classifier import blurred

    x, y = np.asarray(x, np.float32), np.asarray(y)
    if len(x) != len(y) or len(x) < n:
        raise ValueError(f"need at least n={n} images with one label each.")
    rng = np.random.default_rng(seed)
    real = x[rng.choice(len(x), n, replace=False)]
    a, b = rng.integers(0, len(x), (2, n))
    same = y[a] == y[b]
    while same.any():  # averages of two digits of different classes
        b[same] = rng.integers(0, len(x), same.sum())
        same = y[a] == y[b]
    ones = np.flatnonzero(y == 1)
    noise = 0.3 * rng.standard_normal(real.shape).astype(np.float32)
    return {
        "real digits": real,
        "blurred, 1 px": blurred(real, 1.0),
        "blurred, 2 px": blurred(real, 2.0),
        "pixel noise": np.clip(real + noise, 0.0, 1.0),
        "averages of two": 0.5 * (x[a] + x[b]),
        "1s only": x[rng.choice(ones, n, replace=len(ones) < n)],
    }


class Reference:
    """Real images as the yardstick for samples, in a digit classifier's features.

    Built once (the costly part: features and k-NN radii of the real images),
    then scores any number of generators with score(samples).

    The judge maps whatever is no digit (noise, blends, blobs) close to the
    origin of its ReLU features, and the balls of a few ambiguous real digits
    reach there too: left in, they would call pure noise "precise" (measured:
    precision 1.0 for noisy digits). So the manifold for precision and recall
    keeps the real images the judge recognises, less those whose ball reaches
    the origin (together about 96% of MNIST's test digits); the Fréchet
    distance uses all of them.
    """

    def __init__(self, judge, images: np.ndarray, k: int = 3) -> None:
        self.judge = judge
        self.k = k
        self.features, probabilities = judge.look(images)
        self.recognised = judge.is_digit(probabilities)
        manifold = self.features[self.recognised]
        radii = knn_radii(manifold, k)
        # ReLU features: the origin is an image in which the judge finds nothing.
        # A ball that reaches it would take in noise and blends as "real".
        keep = np.linalg.norm(manifold, axis=1) > radii
        self.manifold, self.radii = manifold[keep], radii[keep]

    def __len__(self) -> int:
        return len(self.features)

    def score(self, samples: np.ndarray) -> dict:
        """fd, precision, recall, recognised (share the judge calls a digit) and
        class_shares (of the judge's predictions) for samples, as many as the
        reference has images for comparable numbers."""
        from gdl_vae.data.checks import check_images  # TensorFlow, as the judge

        check_images(samples, name="samples")
        if len(samples) <= self.k:
            raise ValueError(
                f"samples holds {len(samples)} images; precision and recall need "
                f"more than k = {self.k} (each image's {self.k} nearest neighbours). "
                f"Fix: pass as many images as the reference has ({len(self)})."
            )
        features, probabilities = self.judge.look(samples)
        precision = neighbours.inside_any_ball(
            features, self.manifold, self.radii
        ).mean()
        recall = neighbours.inside_any_ball(
            self.manifold, features, knn_radii(features, self.k)
        ).mean()
        return {
            "fd": frechet_distance(self.features, features),
            "precision": float(precision),
            "recall": float(recall),
            "recognised": float(self.judge.is_digit(probabilities).mean()),
            "class_shares": class_shares(probabilities.argmax(axis=1)),
        }
