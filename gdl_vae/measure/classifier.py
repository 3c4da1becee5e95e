"""A digit classifier that can say "no digit": the course's judge of generated images.

A plain classifier is confident about almost anything, including a blur halfway
between a 3 and an 8. This one is trained with outlier exposure (Hendrycks,
Mazeika & Dietterich, ICLR 2019): besides real digits with their labels, it sees
images that are no digit (blends of two digits of different classes, smooth
blobs) with a uniform target over the ten classes. Its top probability then
measures whether an image looks like a digit, and the share of decoded images it
recognises confidently is a number that compares generators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from gdl_vae.data import IMAGE_SHAPE, check_images

NUM_CLASSES = 10
THRESHOLD = 0.9  # top probability at or above which an image counts as a digit
BLUR_SIGMAS = (0.6, 1.0, 1.4)  # pixels; blurred copies of a half of the digits
SHIPPED_EPOCHS = 5  # the shipped judge's epochs over the 60,000 training images
# The shipped judge: tools/train_digit_classifier.py trains and writes them.
WEIGHTS = Path(__file__).parent / "weights" / "digit_classifier.weights.h5"


def no_digit_images(
    x: np.ndarray, y: np.ndarray, n: int, seed: int | None = None
) -> np.ndarray:
    """n images that are no digit: half blends of two digits, half smooth blobs.

    A blend mixes two images of different classes with a weight in [0.35, 0.65],
    the kind of image a decoder produces between two clusters. A blob is
    low-frequency noise with a digit's amount of ink.
    """
    check_images(x, image_shape=None)
    x, y = np.asarray(x, np.float32), np.asarray(y)
    if len(np.unique(y)) < 2:
        raise ValueError("no_digit_images needs images of at least two classes.")
    rng = np.random.default_rng(seed)
    n_blends = n // 2
    first = rng.integers(0, len(x), n_blends)
    second = rng.integers(0, len(x), n_blends)
    same = y[first] == y[second]
    while same.any():  # redraw partners of the same class
        second[same] = rng.integers(0, len(x), same.sum())
        same = y[first] == y[second]
    weight = rng.uniform(0.35, 0.65, (n_blends, 1, 1, 1)).astype(np.float32)
    blends = weight * x[first] + (1 - weight) * x[second]

    coarse = rng.random((n - n_blends, 7, 7, 1), dtype=np.float32)
    smooth = tf.image.resize(coarse, x.shape[1:3], method="bicubic").numpy()
    # Keep the brightest fifth of each blob, about as much ink as a digit has.
    cut = np.quantile(smooth.reshape(len(smooth), -1), 0.8, axis=1)
    blobs = np.clip((smooth - cut[:, None, None, None]) * 4, 0, 1)
    return np.concatenate([blends, blobs]).astype(np.float32)


def blurred(x: np.ndarray, sigma: float) -> np.ndarray:
    """Images blurred by a Gaussian of width sigma pixels (same shape)."""
    radius = max(1, int(np.ceil(3 * sigma)))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel = (taps / taps.sum()).astype(np.float32)
    out = tf.nn.conv2d(x, kernel[:, None, None, None], 1, "SAME")
    return tf.nn.conv2d(out, kernel[None, :, None, None], 1, "SAME").numpy()


def build_classifier(image_shape=IMAGE_SHAPE) -> keras.Model:
    """A small convolutional network: image in, 10 class logits out."""
    return keras.Sequential(
        [
            keras.Input(image_shape),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.4),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(NUM_CLASSES),
        ],
        name="digit_classifier",
    )


@dataclass
class DigitClassifier:
    """A trained classifier and the confidence above which an image is a digit."""

    model: keras.Model
    threshold: float = THRESHOLD
    _extractor: keras.Model | None = field(default=None, repr=False, compare=False)

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (N, 10)."""
        check_images(images, self.model.input_shape[1:], "images")
        logits = self.model.predict(images, batch_size=1000, verbose=0)
        return keras.ops.convert_to_numpy(keras.ops.softmax(logits))

    def features(self, images: np.ndarray) -> np.ndarray:
        """The last hidden layer's activations, shape (N, D): the space in which
        gdl_vae.measure.metrics compares generated images with real ones."""
        return self.look(images)[0]

    def look(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(features, class probabilities) from one pass of the network: what
        a score needs, at the cost of one prediction instead of three."""
        check_images(images, self.model.input_shape[1:], "images")
        if self._extractor is None:
            self._extractor = keras.Model(
                self.model.inputs,
                [self.model.layers[-2].output, self.model.layers[-1].output],
            )
        features, logits = self._extractor.predict(images, batch_size=1000, verbose=0)
        probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(logits))
        return keras.ops.convert_to_numpy(features).astype(np.float64), probabilities

    def predict(self, images: np.ndarray) -> np.ndarray:
        """The most likely digit for each image, shape (N,)."""
        return self.probabilities(images).argmax(axis=1)

    def confidence(self, images: np.ndarray) -> np.ndarray:
        """The top class probability for each image, in [0.1, 1], shape (N,)."""
        return self.probabilities(images).max(axis=1)

    def recognised(self, images: np.ndarray) -> np.ndarray:
        """True where the image looks like a digit: confidence >= threshold."""
        return self.is_digit(self.probabilities(images))

    def is_digit(self, probabilities: np.ndarray) -> np.ndarray:
        """The verdict of `recognised` from class probabilities already computed
        (by `look`): the top probability reaches the threshold."""
        return probabilities.max(axis=1) >= self.threshold

    def verdicts(self, images: np.ndarray) -> list[str]:
        """A short caption per image: "7 .98" (a digit) or "? .41" (no digit)."""
        p = self.probabilities(images)
        return [
            f"{digit if top >= self.threshold else '?'} {top:.2f}".replace("0.", ".")
            for digit, top in zip(p.argmax(axis=1), p.max(axis=1), strict=True)
        ]

    def report(
        self, x: np.ndarray, y: np.ndarray, seed: int | None = 0
    ) -> dict[str, float]:
        """How far to trust the judge, on held-out images (x, y) and their blends.

        accuracy: on all real digits; recognised: share of real digits called a
        digit; accuracy_recognised: accuracy among those; no_digit_recognised:
        share of no_digit_images(x, y) wrongly called a digit.
        """
        p = self.probabilities(x)
        confident = p.max(axis=1) >= self.threshold
        correct = p.argmax(axis=1) == np.asarray(y)
        outliers = no_digit_images(x, y, len(x), seed=seed)
        return {
            "accuracy": float(correct.mean()),
            "recognised": float(confident.mean()),
            "accuracy_recognised": float(correct[confident].mean()),
            "no_digit_recognised": float(self.recognised(outliers).mean()),
        }


def train_digit_classifier(
    x: np.ndarray,
    y: np.ndarray,
    epochs: int = 5,
    batch_size: int = 128,
    seed: int | None = 0,
    threshold: float = THRESHOLD,
) -> DigitClassifier:
    """Train the judge on digits (x, y) plus half as many no-digit images."""
    check_images(x, image_shape=None, name="x")
    y = np.asarray(y)
    if len(y) != len(x) or y.min() < 0 or y.max() >= NUM_CLASSES:
        raise ValueError(
            f"y must hold one label in 0..{NUM_CLASSES - 1} per image; got "
            f"{len(y)} labels for {len(x)} images."
        )
    if seed is not None:
        keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    # Decoders draw soft, blurry strokes: show the judge blurred digits too, so
    # that it recognises a blurry 7 and keeps "no digit" for blends and blobs.
    chosen = np.array_split(rng.permutation(len(x))[: len(x) // 2], 3)
    soft = np.concatenate(
        [blurred(x[i], s) for i, s in zip(chosen, BLUR_SIGMAS, strict=True)]
    )
    soft_labels = y[np.concatenate(chosen)]
    outliers = no_digit_images(x, y, len(x) // 2, seed=seed)
    images = np.concatenate([x, soft, outliers]).astype(np.float32)
    targets = np.concatenate(
        [
            np.eye(NUM_CLASSES, dtype=np.float32)[y],
            np.eye(NUM_CLASSES, dtype=np.float32)[soft_labels],
            np.full((len(outliers), NUM_CLASSES), 1 / NUM_CLASSES, np.float32),
        ]
    )
    model = build_classifier(x.shape[1:])
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
    )
    model.fit(
        images, targets, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=0
    )
    return DigitClassifier(model, threshold)


def load_digit_classifier(threshold: float = THRESHOLD) -> DigitClassifier:
    """The shipped judge: build_classifier() with the weights that
    tools/train_digit_classifier.py trained on the 60,000 MNIST training images.

    Every notebook and benchmark measures with it, so their numbers compare.
    """
    if not WEIGHTS.exists():
        raise FileNotFoundError(
            f"the digit classifier's weights are missing: {WEIGHTS}. Fix: reinstall "
            "gdl_vae, or run python tools/train_digit_classifier.py in the repository."
        )
    model = build_classifier()
    model.load_weights(WEIGHTS)
    return DigitClassifier(model, threshold)
