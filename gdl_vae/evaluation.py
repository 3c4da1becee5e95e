"""How good is a trained model: likelihood bounds and the continuity of its decoder.

Likelihood bounds for a trained VAE, in nats per example:

elbo:        log p(x) >= E_q[log p(x|z)] - KL(q(z|x) || p(z))
iwae_bound:  log p(x) >= E[log (1/k) sum_i p(x, z_i) / q(z_i|x)],  z_i ~ q(z|x)
             (Burda, Grosse & Salakhutdinov 2016). k = 1 is the ELBO; the bound
             tightens as k grows, so -iwae_bound with large k estimates the
             negative log-likelihood (NLL) that papers report.

Continuity, for any model with `decode_mean` (Autoencoder or VAE):
step_changes: how much the decoded image changes per step along latent paths;
continuity:   those changes summed up in three numbers.
"""

from __future__ import annotations

import functools
import math

import keras
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from gdl_vae.data import check_images
from gdl_vae.latent import interpolate, nearest_distances

tfd = tfp.distributions
MAX_DECODES = 4096  # decoder passes per traced call: bounds memory for any k


def _check_count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(
            f"{name} must be a whole number >= 1; got {value!r}. Fix: {name}=1000 "
            "is a usual choice (larger is tighter and slower)."
        )
    return int(value)


def _generator(seed: int | None) -> tf.random.Generator:
    if seed is None:
        return tf.random.Generator.from_non_deterministic_state()
    return tf.random.Generator.from_seed(seed)


def _stateless_seed(generator: tf.random.Generator) -> tf.Tensor:
    """A fresh [2] int32 seed, the form TFP's stateless samplers take."""
    return tf.cast(generator.make_seeds(1)[:, 0] % (2**31 - 1), tf.int32)


def _log_terms(model, x, k: int, seed):
    """log p(x|z_i), log p(z_i) - log q(z_i|x) for k draws z_i ~ q: each [k, B]."""
    q = model.posterior(*model.posterior_parameters(x))
    z = q.sample(k, seed=seed)  # [k, B, latent_dim]
    logits = model.decoder(tf.reshape(z, [-1, model.latent_dim]), training=False)
    logits = tf.reshape(logits, [k, -1, *model.image_shape])
    log_px_z = model.likelihood(logits).log_prob(x)  # x broadcasts over k
    log_ratio = model.prior().log_prob(z) - q.log_prob(z)
    return log_px_z, log_ratio


def _kl(model, x):
    q = model.posterior(*model.posterior_parameters(x))
    return tfd.kl_divergence(q, model.prior())


def _traced(model) -> tuple:
    """This model's compiled (_log_terms, _kl), traced once and kept on the model.

    A module-level tf.function would retrace for every new model it is given.
    """
    functions = model.__dict__.get("_gdl_vae_traced")
    if functions is None:
        functions = (
            tf.function(functools.partial(_log_terms, model), reduce_retracing=True),
            tf.function(functools.partial(_kl, model), reduce_retracing=True),
        )
        object.__setattr__(model, "_gdl_vae_traced", functions)  # not a Keras weight
    return functions


def _plan(n_samples: int, max_decodes: int) -> tuple[int, int]:
    """(images per call, samples per call) with their product <= max_decodes."""
    chunk = min(n_samples, max_decodes)
    return max(1, max_decodes // chunk), chunk


def _draws(model, x, n: int, seed: int | None, max_decodes: int):
    """For each batch of images: (batch, its n draws as chunks of _log_terms).

    At most max_decodes decoder passes run at a time, whatever n and len(x).
    """
    generator = _generator(seed)
    log_terms, _ = _traced(model)
    images, chunk = _plan(n, max_decodes)
    for start in range(0, len(x), images):
        batch = tf.constant(x[start : start + images])
        sizes = [min(chunk, n - done) for done in range(0, n, chunk)]
        yield batch, (log_terms(batch, s, _stateless_seed(generator)) for s in sizes)


def elbo(model, x, n_samples: int = 1, seed: int | None = None) -> np.ndarray:
    """Per-example ELBO: Monte-Carlo reconstruction term, analytic KL. Shape (N,)."""
    check_images(x, model.image_shape)
    n_samples = _check_count(n_samples, "n_samples")
    _, kl = _traced(model)
    out = []
    for batch, draws in _draws(model, x, n_samples, seed, MAX_DECODES):
        total = sum(tf.reduce_sum(log_px_z, axis=0).numpy() for log_px_z, _ in draws)
        out.append(total / n_samples - kl(batch).numpy())
    return np.concatenate(out)


def iwae_bound(
    model, x, k: int = 1000, seed: int | None = None, max_decodes: int = MAX_DECODES
) -> np.ndarray:
    """Per-example importance-weighted bound with k samples, shape (N,).

    The log-sum-exp over the k samples is accumulated chunk by chunk, so memory
    stays bounded for any k.
    """
    check_images(x, model.image_shape)
    k = _check_count(k, "k")
    out = []
    for batch, draws in _draws(model, x, k, seed, max_decodes):
        running = np.full(len(batch), -np.inf)
        for log_px_z, log_ratio in draws:
            chunk = tf.reduce_logsumexp(log_px_z + log_ratio, axis=0).numpy()
            running = np.logaddexp(running, chunk)
        out.append(running - math.log(k))
    return np.concatenate(out)


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
    """How smoothly the decoded image changes along latent paths, averaged over paths.

    step_change: mean RMS pixel change per step (pixels in [0, 1]).
    largest_step_share: the largest step's share of the path's total change;
        1 / (frames - 1) when the change is spread evenly, 1 when it all happens
        in one jump. Independent of the latent scale, so models compare.
    path_ratio: total change along the path over the direct change between its
        two end images; 1 for a straight cross-fade, larger when the path
        detours through other images.
    """
    images = decoded_paths(model, start, end, frames, method)
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


def kl_parts(model, x) -> dict[str, float]:
    """The KL term split in two, in nats per image (summed over dimensions).

    KL(N(mu, s^2) || N(0, 1)) = mu^2 / 2  +  (s^2 - 1 - log s^2) / 2
                                mean term    variance term
    The mean term pulls codes towards the origin; the variance term keeps each
    posterior about as wide as the prior. Their sum is the analytic KL.
    """
    check_images(x, model.image_shape)
    parameters = model._batched(model.posterior_parameters, x)
    mean, log_var = (np.asarray(t, np.float64) for t in parameters)
    mean_term = 0.5 * np.sum(mean**2, axis=1)
    variance_term = 0.5 * np.sum(np.exp(log_var) - 1.0 - log_var, axis=1)
    return {
        "kl_mean_term": float(mean_term.mean()),
        "kl_variance_term": float(variance_term.mean()),
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
    as likely to sit next to either set: 0.5. A model that copies its training
    images scores above 0.5. Blur does not fool it, as it fools a raw distance
    to the training set (a blurry average is close to everything): it moves
    both distances alike. train must be images the model was trained on and
    held_out images it never saw, the same number of each.
    """
    if len(train) != len(held_out):
        raise ValueError(
            f"give as many training as held-out images (got {len(train)} and "
            f"{len(held_out)}), or the larger set wins by size alone."
        )
    to_train = nearest_image_distances(images, train)
    to_held_out = nearest_image_distances(images, held_out)
    return float(np.mean(to_train < to_held_out))


def latent_classifier_accuracy(
    codes_train: np.ndarray,
    y_train: np.ndarray,
    codes_test: np.ndarray,
    y_test: np.ndarray,
    epochs: int = 100,
    seed: int = 0,
) -> float:
    """Held-out accuracy of a single-layer (softmax) classifier on frozen codes.

    The representation test of Berthelot et al. (2019): how linearly the codes
    separate the classes. Codes are standardised with the training codes'
    mean and spread, which changes what the optimizer sees, not what a linear
    layer can separate.
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
        metrics=["accuracy"],
    )
    classifier.fit(
        (codes_train - mean) / spread, y_train, batch_size=256, epochs=epochs, verbose=0
    )
    result = classifier.evaluate(
        (codes_test - mean) / spread, y_test, verbose=0, return_dict=True
    )
    return float(result["accuracy"])
