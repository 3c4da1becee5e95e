"""Checks for the notebooks' coding exercises: your code against the package's.

Each exercise in notebooks 01-07 asks for one piece: a network, a Keras layer or
model, a loss, a bound, a distance. `check(name, answer)` runs it on inputs of
its own, compares the result with what the package computes, and prints what
it found: correct, not yet answered, or what is wrong (a flipped sign, a
missing 1/2, no gradient path, an overflow). `verdict(name, answer)` returns
the same as (correct?, message); `require(name, answer)` raises AssertionError
with the message unless correct, for graders (`tools/editions.py`).

    from gdl_vae import exercises
    exercises.check("02.kl_to_prior", kl_to_prior)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Exercise:
    """One exercise: what to write, and how to compare it with the package."""

    task: str
    compare: Callable[[Callable], str | None]  # None when correct, else what differs


def _close(name: str, got, expected, rtol: float = 1e-4, atol: float = 1e-4):
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


def _posterior_batch(seed: int, n: int = 6, d: int = 3):
    """Random posterior parameters (mean, log_var), each (n, d), float32."""
    rng = np.random.default_rng(seed)
    mean = rng.normal(0.0, 1.5, (n, d)).astype(np.float32)
    log_var = rng.normal(-1.0, 1.0, (n, d)).astype(np.float32)
    return mean, log_var


# --- notebook 01 ------------------------------------------------------------


def _reconstruction_loss(answer: Callable) -> str | None:
    import gdl_vae

    rng = np.random.default_rng(1)
    x = (rng.random((5, 28, 28, 1)) < 0.3).astype(np.float32)
    logits = rng.normal(0.0, 3.0, x.shape).astype(np.float32)
    model = gdl_vae.build_autoencoder(latent_dim=2)
    expected = -model.likelihood(logits).log_prob(x).numpy()
    return _close("reconstruction_loss(x, logits)", answer(x, logits), expected)


def _fitted_gaussian(answer: Callable) -> str | None:
    rng = np.random.default_rng(2)
    codes = rng.normal(size=(3_000, 3)) @ np.array(
        [[3.0, 0.0, 0.0], [1.5, 0.5, 0.0], [-2.0, 1.0, 4.0]]
    ) + np.array([5.0, -7.0, 1.0])
    samples = np.asarray(answer(codes.astype(np.float32), 40_000, 0), np.float64)
    if samples.shape != (40_000, 3):
        return f"fitted_gaussian(codes, 40000, seed) has shape {samples.shape}."
    # The package's sampler, for the same codes, as the standard of comparison.
    from gdl_vae.measure.latent import matched_gaussian

    expected = matched_gaussian(codes, 40_000, seed=1).astype(np.float64)
    mean_gap = np.abs(samples.mean(0) - expected.mean(0)).max()
    cov_gap = np.abs(np.cov(samples, rowvar=False) - np.cov(expected, rowvar=False))
    # Sampling error of 40,000 draws: about 0.05 on the means, 0.3 on the
    # covariances here; a wrong mean or covariance is off by whole units.
    if mean_gap > 0.2:
        return f"the samples' mean is {mean_gap:.2f} away from the codes' mean."
    if cov_gap.max() > 1.0:
        return (
            f"the samples' covariance is {cov_gap.max():.2f} away from the codes' "
            "covariance (are the dimensions correlated as in the codes?)."
        )
    if np.unique(samples[:, 0]).size < 30_000:
        return "the samples repeat themselves: draw new points, not codes."
    return None


def _frechet_distance(answer: Callable) -> str | None:
    from gdl_vae.measure.metrics import frechet_distance

    rng = np.random.default_rng(3)
    real = rng.normal(size=(500, 4)) @ rng.normal(size=(4, 4))
    fake = rng.normal(size=(400, 4)) @ rng.normal(size=(4, 4)) + 0.5
    return _close(
        "frechet_distance(real, fake)",
        answer(real, fake),
        frechet_distance(real, fake),
        rtol=1e-3,
    )


# --- notebook 02 ------------------------------------------------------------


def _kl_to_prior(answer: Callable) -> str | None:
    import tensorflow_probability as tfp

    import gdl_vae

    mean, log_var = _posterior_batch(5)
    vae = gdl_vae.build_vae(latent_dim=mean.shape[1])
    q = vae.posterior(mean, log_var)
    expected = tfp.distributions.kl_divergence(q, vae.prior()).numpy()
    got = np.asarray(answer(mean, log_var), np.float64)
    if got.shape == expected.shape:
        if np.allclose(got, 2 * expected, rtol=1e-4):
            return "kl_to_prior(mean, log_var) is twice the KL: the 1/2 is missing."
        if np.allclose(got, -expected, rtol=1e-4):
            return "kl_to_prior(mean, log_var) is negative: the sign is flipped."
    return _close("kl_to_prior(mean, log_var)", got, expected)


def _negative_elbo(answer: Callable) -> str | None:
    import tensorflow_probability as tfp

    import gdl_vae

    mean, log_var = _posterior_batch(6)
    rng = np.random.default_rng(6)
    x = (rng.random((len(mean), 28, 28, 1)) < 0.3).astype(np.float32)
    logits = rng.normal(0.0, 3.0, x.shape).astype(np.float32)
    vae = gdl_vae.build_vae(latent_dim=mean.shape[1])
    kl = tfp.distributions.kl_divergence(vae.posterior(mean, log_var), vae.prior())
    expected = -vae.likelihood(logits).log_prob(x).numpy() + kl.numpy()
    return _close(
        "negative_elbo(x, logits, mean, log_var)",
        answer(x, logits, mean, log_var),
        expected,
    )


def _binary_images(seed: int, n: int = 16) -> np.ndarray:
    """n random binary 28x28x1 images, float32."""
    rng = np.random.default_rng(seed)
    return (rng.random((n, 28, 28, 1)) < 0.3).astype(np.float32)


def _ratio_hint(name: str, got: float, expected: float, hints: dict) -> str | None:
    """A named mistake when got is expected times one of the hints' factors."""
    for factor, hint in hints.items():
        if np.isclose(got, factor * expected, rtol=1e-3, atol=1e-4):
            return f"{name} is {got:.5g}, the package's {expected:.5g}: {hint}"
    return None


# --- notebook 01: the autoencoder from Keras layers ---------------------------


def _autoencoder(answer: Callable) -> str | None:
    import keras
    import tensorflow as tf

    encoder, decoder = answer(3)
    for part, net in (("encoder", encoder), ("decoder", decoder)):
        if not isinstance(net, keras.Model):
            return (
                f"the {part} is a {type(net).__name__}; return keras models "
                "(keras.Sequential or the functional API)."
            )
    x = _binary_images(11, 8)
    codes = np.asarray(encoder(x))
    if codes.shape != (8, 3):
        return (
            f"my_autoencoder(3)'s encoder maps 8 images to shape {codes.shape}; "
            "expected (8, 3): latent_dim numbers per image (end in Dense(latent_dim))."
        )
    if np.all(codes >= 0):
        return (
            "every code is >= 0: the encoder's last layer has an activation (relu?). "
            "Leave the code linear: its numbers may be negative."
        )
    z = np.random.default_rng(11).normal(0.0, 3.0, (8, 3)).astype(np.float32)
    logits = np.asarray(decoder(z))
    if logits.shape != (8, 28, 28, 1):
        return (
            f"the decoder maps 8 codes to shape {logits.shape}; expected "
            "(8, 28, 28, 1), one logit per pixel."
        )
    if np.all((logits >= 0) & (logits <= 1)):
        return (
            "the decoder's outputs all lie in [0, 1]: it ends in a sigmoid. Output "
            "logits (no activation); the loss applies the sigmoid, stably."
        )
    with tf.GradientTape() as tape:
        out = decoder(encoder(x))
        loss = tf.reduce_mean(
            tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=out)
        )
    weights = encoder.trainable_weights + decoder.trainable_weights
    grads = tape.gradient(loss, weights)
    if any(g is None for g in grads[: len(encoder.trainable_weights)]):
        return "the loss has no gradient to the encoder's weights: is it one graph?"
    return None


# --- notebook 02: the Sampling layer and the VAE as a keras.Model -------------


def _sampling(answer: Callable) -> str | None:
    import tensorflow as tf

    layer = answer(seed=3)
    n = 4_000
    mean = tf.Variable(np.tile(np.float32([[0.5, -1.0]]), (n, 1)))
    log_var = tf.Variable(np.tile(np.float32([[0.0, -2.0]]), (n, 1)))
    with tf.GradientTape(persistent=True) as tape:
        z = layer([mean, log_var])
    if tuple(z.shape) != (n, 2):
        return f"the layer maps ({n}, 2) means to shape {tuple(z.shape)}."
    to_mean, to_log_var = tape.gradient(z, mean), tape.gradient(z, log_var)
    if to_mean is None or not np.allclose(to_mean.numpy(), 1.0):
        return (
            "no gradient path from z to the mean (dz/dmean should be 1): build z "
            "from mean and log_var with keras ops inside call(), not NumPy or "
            "stop_gradient."
        )
    if to_log_var is None or not np.any(to_log_var.numpy()):
        return (
            "no gradient reaches log_var: compute sigma = exp(0.5 * log_var) "
            "inside call(), so that dz/dlog_var = 0.5 * sigma * eps."
        )
    draws = z.numpy()
    if np.allclose(draws, draws[:1]):
        return "every image got the same eps: draw eps with the shape of the mean."
    spread = draws.std(axis=0)  # the true sigmas are 1 and exp(-1) = 0.37
    if abs(spread[1] - np.exp(-2.0)) < 0.02:
        return (
            f"z's spread in the second dimension is {spread[1]:.3f}, sigma^2 "
            "rather than sigma = 0.368: exp(log_var) is the variance; the "
            "standard deviation is exp(0.5 * log_var), the missing 1/2."
        )
    if not (abs(spread[0] - 1.0) < 0.05 and abs(spread[1] - np.exp(-1.0)) < 0.02):
        return (
            f"z's standard deviations are {spread.round(3).tolist()}; expected "
            "[1.0, 0.368] for log_var = [0, -2]."
        )
    if np.abs(draws.mean(axis=0) - [0.5, -1.0]).max() > 0.05:
        return (
            f"z's mean is {draws.mean(axis=0).round(3).tolist()}; expected [0.5, -1]."
        )
    again = layer([mean, log_var]).numpy()
    if np.allclose(again, draws):
        return (
            "two calls drew the same eps: draw fresh noise at every call "
            "(keras.random.normal with the layer's SeedGenerator)."
        )
    return None


def _recorder(decoder):
    """A layer that calls decoder and keeps the last z it was called with (its
    weights are the decoder's, so the learner's model trains them)."""
    import keras

    class Recorder(keras.layers.Layer):
        def __init__(self) -> None:
            super().__init__(name="decoder")
            self.decoder, self.z = decoder, None

        def call(self, z, training=None):
            self.z = z
            return self.decoder(z, training=training)

    return Recorder()


def _package_terms(package, x, z):
    """The package's reconstruction and KL terms at the learner's z."""
    import tensorflow_probability as tfp

    z_mean, z_log_var = package.encoder(x)
    logits = package.decoder(z)
    reconstruction = -np.mean(package.likelihood(logits).log_prob(x).numpy())
    q = package.posterior(z_mean, z_log_var)
    kl = np.mean(tfp.distributions.kl_divergence(q, package.prior()).numpy())
    return float(reconstruction), float(kl)


def _vae_model(answer: Callable) -> str | None:
    import keras
    import tensorflow as tf

    import gdl_vae

    x = _binary_images(12)
    package = gdl_vae.build_vae(latent_dim=2, architecture="dense", seed=0)
    recorder = _recorder(package.decoder)
    model = answer(package.encoder, recorder, seed=0)
    weights = package.trainable_weights
    before = [w.numpy() for w in weights]

    # 1. test_step: the package's loss at the same weights and the same z.
    got = {k: float(v) for k, v in model.test_step(x).items()}
    missing = {"loss", "reconstruction_loss", "kl_loss"} - set(got)
    if missing:
        return (
            f"test_step returned {sorted(got)}; it must also report "
            f"{sorted(missing)} (one keras.metrics.Mean per term)."
        )
    if any(
        not np.array_equal(w.numpy(), b) for w, b in zip(weights, before, strict=True)
    ):
        return "test_step changed the weights: it must only measure."
    if recorder.z is None:
        return "test_step never called self.decoder: decode the sampled z."
    reconstruction, kl = _package_terms(package, x, recorder.z)
    close = [
        np.isclose(got[name], value, rtol=1e-4, atol=1e-3)
        for name, value in (("kl_loss", kl), ("reconstruction_loss", reconstruction))
    ]
    kl_hints = {
        -1.0: "the sign is flipped (a KL is >= 0).",
        2.0: "it is twice the KL: the 1/2 is missing.",
        float(len(x)): "it is summed over the batch; average over the images.",
    }
    reconstruction_hints = {
        1 / 784: "it is averaged over the pixels; sum over the 784 pixels "
        "(nats per image).",
        float(len(x)): "it is summed over the batch; average over the images.",
    }
    wrong = None
    if not all(close):
        wrong = _ratio_hint("the KL term", got["kl_loss"], kl, kl_hints) or (
            _ratio_hint(
                "the reconstruction term",
                got["reconstruction_loss"],
                reconstruction,
                reconstruction_hints,
            )
        )
    if wrong:
        return wrong
    for name, expected in (("kl_loss", kl), ("reconstruction_loss", reconstruction)):
        if not np.isclose(got[name], expected, rtol=1e-4, atol=1e-3):
            return (
                f"test_step's {name} is {got[name]:.5g}; the package's, at the same "
                f"weights and the same z, is {expected:.5g}."
            )
    if not np.isclose(got["loss"], reconstruction + kl, rtol=1e-4, atol=1e-3):
        return (
            f"the loss is {got['loss']:.5g}, not reconstruction + KL = "
            f"{reconstruction + kl:.5g}."
        )

    # 2. train_step: one plain gradient step (SGD) must move every weight by
    # -lr times the gradient of the package's loss at the same eps.
    lr = 0.05
    model.compile(optimizer=keras.optimizers.SGD(lr))
    model.train_step(x)
    after = [w.numpy() for w in weights]
    for w, b in zip(weights, before, strict=True):
        w.assign(b)
    z_mean, z_log_var = package.encoder(x)
    eps = (recorder.z - z_mean) / tf.exp(0.5 * z_log_var)
    with tf.GradientTape() as tape:
        z_mean, z_log_var = package.encoder(x)
        z = z_mean + tf.exp(0.5 * z_log_var) * eps
        terms = _package_loss(package, x, z, z_mean, z_log_var)
    grads = tape.gradient(terms, weights)
    moved = [not np.array_equal(a, b) for a, b in zip(after, before, strict=True)]
    encoder_moved = any(moved[: len(package.encoder.trainable_weights)])
    if not any(moved):
        return (
            "train_step left every weight as it was: apply the gradients with "
            "self.optimizer.apply_gradients(zip(grads, self.trainable_weights))."
        )
    if not encoder_moved:
        return (
            "train_step moved the decoder but not the encoder: no gradient path "
            "from the loss to the encoder. Compute z = mean + sigma * eps inside "
            "the tape, with keras ops."
        )
    step = np.concatenate([(a - b).ravel() for a, b in zip(after, before, strict=True)])
    expected = np.concatenate([(-lr * g.numpy()).ravel() for g in grads])
    error = np.linalg.norm(step - expected) / np.linalg.norm(expected)
    # The same step with z cut off from the encoder (only the KL reaches it).
    with tf.GradientTape() as tape:
        z_mean, z_log_var = package.encoder(x)
        z = tf.stop_gradient(z_mean + tf.exp(0.5 * z_log_var) * eps)
        terms = _package_loss(package, x, z, z_mean, z_log_var)
    cut = tape.gradient(terms, weights)
    cut = np.concatenate(
        [
            (-lr * (g.numpy() if g is not None else 0 * w.numpy())).ravel()
            for g, w in zip(cut, before, strict=True)
        ]
    )
    if error > 1e-2 and np.linalg.norm(step - cut) < 1e-2 * np.linalg.norm(cut):
        return (
            "no gradient path from the reconstruction term to the encoder: z is "
            "cut off (stop_gradient, NumPy, or a draw that does not go through "
            "mean + sigma * eps), so only the KL trains the encoder."
        )
    if error > 1e-2:
        return (
            f"train_step's update differs from -lr times the gradient of the "
            f"package's loss by {error:.1%}: differentiate the loss that "
            "test_step reports (reconstruction + KL), inside the tape."
        )
    return None


def _package_loss(package, x, z, z_mean, z_log_var):
    """-ELBO, averaged over the batch, at given z and posterior parameters."""
    import tensorflow as tf
    import tensorflow_probability as tfp

    reconstruction = -tf.reduce_mean(package.likelihood(package.decoder(z)).log_prob(x))
    q = package.posterior(z_mean, z_log_var)
    return reconstruction + tf.reduce_mean(
        tfp.distributions.kl_divergence(q, package.prior())
    )


# --- notebook 03 ------------------------------------------------------------


def _slerp(answer: Callable) -> str | None:
    from gdl_vae.measure.latent import interpolate

    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(2, 16))
    b *= 1.7
    t = np.linspace(0.0, 1.0, 9)
    got = np.stack([np.asarray(answer(a, b, float(s)), np.float64) for s in t])
    expected = interpolate(a, b, frames=len(t), method="spherical")
    wrong = _close("slerp(a, b, t) for t = 0, 1/8, ..., 1", got, expected, rtol=1e-4)
    if wrong:
        return wrong
    # Codes that point the same way: the angle is 0, and so is sin(angle).
    with np.errstate(all="ignore"):
        got = np.stack(
            [np.asarray(answer(a, 2.5 * a, float(s)), np.float64) for s in t]
        )
    if not np.all(np.isfinite(got)):
        return (
            "slerp(a, 2.5 * a, t) holds NaN: for codes that point the same way the "
            "angle is 0 and dividing by sin(angle) divides by 0. Where sin(angle) "
            "is (nearly) 0, the path is the straight line: keep a's direction."
        )
    expected = interpolate(a, 2.5 * a, frames=len(t), method="spherical")
    return _close("slerp(a, 2.5 * a, t) (parallel codes)", got, expected, rtol=1e-4)


def _move_to_class(answer: Callable) -> str | None:
    from gdl_vae.measure.latent import class_means

    rng = np.random.default_rng(9)
    labels = rng.integers(0, 10, 600)
    codes = rng.normal(size=(600, 5)) + labels[:, None] * 0.7
    means = class_means(codes, labels)
    source = codes[labels == 3][:20]
    expected = source - means[3] + means[8]
    got = answer(codes, labels, source, 3, 8)
    return _close("move_to_class(codes, labels, source, 3, 8)", got, expected)


def _precision(answer: Callable) -> str | None:
    from gdl_vae.measure.metrics import precision_recall

    rng = np.random.default_rng(10)
    real = rng.normal(size=(600, 5))
    fake = rng.normal(0.6, 1.2, size=(500, 5))
    expected = precision_recall(real, fake, k=3)["precision"]
    return _close("precision(real, fake, k=3)", answer(real, fake, 3), expected)


# --- notebook 04 ------------------------------------------------------------


def _kl_terms(answer: Callable) -> str | None:
    from gdl_vae.measure.bounds import kl_term_values

    mean, log_var = _posterior_batch(13)
    expected = {k: v.numpy() for k, v in kl_term_values(mean, log_var).items()}
    got = answer(mean, log_var)
    if not (isinstance(got, tuple) and len(got) == 2):
        return "return a pair: (mean term, variance term), each of shape (N,)."
    mean_term, variance_term = (np.asarray(t, np.float64) for t in got)
    if np.allclose(mean_term, expected["variance"], rtol=1e-4) and np.allclose(
        variance_term, expected["mean"], rtol=1e-4
    ):
        return "the two terms are swapped: return (mean term, variance term)."
    for name, value, key in (
        ("the mean term", mean_term, "mean"),
        ("the variance term", variance_term, "variance"),
    ):
        if np.allclose(value, 2 * expected[key], rtol=1e-4):
            return f"{name} is twice the package's: the 1/2 is missing."
        if np.allclose(value, -expected[key], rtol=1e-4):
            return f"{name} has the wrong sign: both terms are >= 0."
        wrong = _close(name, value, expected[key])
        if wrong:
            return wrong
    return None


def _kl_warmup(answer: Callable) -> str | None:
    from gdl_vae.callbacks import KLWarmup

    warmup, target = 200, 0.8
    schedule = KLWarmup(epochs=warmup, target=target)
    steps = np.arange(0, 3 * warmup, 7)
    got = np.array([float(answer(int(s), warmup, target)) for s in steps])
    expected = np.array([schedule.beta_at(float(s)) for s in steps])
    if abs(got[0]) > 1e-9:
        return f"beta at step 0 is {got[0]:.3g}: warm-up starts from beta = 0."
    if got[-1] > target + 1e-9:
        return (
            f"beta reaches {got[-1]:.3g} after {steps[-1]} steps, above the "
            f"target {target}: stop rising at the end of the warm-up (min(1, ...))."
        )
    return _close("beta(step, 200, 0.8) for steps 0, 7, ..., 595", got, expected)


# --- notebook 05 ------------------------------------------------------------


def _pca_reconstruction(answer: Callable) -> str | None:
    from gdl_vae.measure import pca

    rng = np.random.default_rng(14)
    x = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12)) + 3.0
    expected = pca.fit(x, 4).reconstruct(x)
    got = np.asarray(answer(x, 4), np.float64)
    if got.shape == x.shape:
        _, _, vt = np.linalg.svd(x, full_matrices=False)
        uncentred = x @ vt[:4].T @ vt[:4]
        if np.allclose(got, uncentred, atol=1e-6):
            return (
                "the data were not centred: subtract the mean image before the "
                "SVD, and add it back after projecting."
            )
    return _close("pca_reconstruction(x, 4)", got, expected, rtol=1e-4, atol=1e-6)


# --- notebook 06 ------------------------------------------------------------


def _acai_mix(answer: Callable) -> str | None:
    from gdl_vae.models.acai import mix_codes

    rng = np.random.default_rng(15)
    z = rng.normal(size=(6, 4)).astype(np.float32)
    u = np.float32([0.1, 0.4, 0.5, 0.7, 0.95, 0.25])
    alpha, mixed = (np.asarray(t, np.float64) for t in answer(z, u))
    expected_alpha, expected_mixed = (np.asarray(t) for t in mix_codes(z, u))
    if alpha.shape == u.shape and np.any(alpha > 0.5):
        return (
            f"alpha reaches {alpha.max():.2f}: ACAI keeps alpha in [0, 0.5] "
            "(fold u: alpha = 0.5 - |u - 0.5|), so the critic cannot tell which "
            "end a mix came from."
        )
    wrong = _close("alpha", alpha, expected_alpha)
    if wrong:
        return wrong
    reversed_weights = (1 - alpha[:, None]) * z + alpha[:, None] * z[::-1]
    if mixed.shape == z.shape and np.allclose(mixed, reversed_weights, atol=1e-5):
        return "the weights are swapped: alpha multiplies the code itself, z."
    return _close("the mixed codes", mixed, expected_mixed)


def _critic_loss(answer: Callable) -> str | None:
    from gdl_vae.models.acai import critic_losses

    rng = np.random.default_rng(16)
    guess = rng.uniform(0, 0.5, 32).astype(np.float32)
    alpha = rng.uniform(0, 0.5, 32).astype(np.float32)
    real = rng.normal(0, 0.2, 32).astype(np.float32)
    expected = float(critic_losses(guess, alpha, real)["critic_loss"])
    got = float(answer(guess, alpha, real))
    if np.isclose(got, float(np.mean((guess - alpha) ** 2)), rtol=1e-4):
        return (
            "only the mixes' term: the critic must also learn to say 0 for real "
            "images blended with their reconstructions (+ mean(real_guess^2))."
        )
    return _close("critic_loss(guess, alpha, real_guess)", got, expected)


# --- notebook 07 ------------------------------------------------------------


def _iwae_bound(answer: Callable) -> str | None:
    from gdl_vae.measure.bounds import log_mean_exp

    rng = np.random.default_rng(17)
    log_w = rng.normal(-90.0, 3.0, (5, 50))
    expected = log_mean_exp(log_w, axis=1)
    got = np.asarray(answer(log_w), np.float64)
    if got.shape == expected.shape and np.allclose(got, log_w.mean(axis=1)):
        return (
            "that is the mean of the log-weights (the ELBO's estimate), not the "
            "log of the mean weight: log (1/k) sum exp(log_w)."
        )
    if got.shape == expected.shape and np.allclose(got, expected + np.log(50)):
        return "the 1/k is missing: subtract log k."
    wrong = _close("iwae_bound(log_w) for log-weights near -90", got, expected)
    if wrong:
        return wrong
    # Real images: log-weights near -800 nats. exp() underflows to 0.
    far = log_w - 700.0
    with np.errstate(all="ignore"):
        got = np.asarray(answer(far), np.float64)
    if not np.all(np.isfinite(got)):
        return (
            "for log-weights near -790 the bound is -inf or NaN: exp(-790) "
            "underflows to 0. Use log-sum-exp: subtract the largest log-weight "
            "before exp() and add it back after the log."
        )
    return _close("iwae_bound(log_w) for log-weights near -790", got, expected - 700)


def _vamp_log_prob(answer: Callable) -> str | None:
    import tensorflow_probability as tfp

    tfd = tfp.distributions
    rng = np.random.default_rng(18)
    k, d = 7, 3
    means = rng.normal(0, 2, (k, d)).astype(np.float32)
    log_vars = rng.normal(-1, 0.5, (k, d)).astype(np.float32)
    z = rng.normal(0, 2, (20, d)).astype(np.float32)
    prior = tfd.MixtureSameFamily(
        tfd.Categorical(logits=np.zeros(k, np.float32)),
        tfd.MultivariateNormalDiag(loc=means, scale_diag=np.exp(0.5 * log_vars)),
    )
    expected = prior.log_prob(z).numpy()
    got = np.asarray(answer(z, means, log_vars), np.float64)
    if got.shape == expected.shape and np.allclose(got, expected + np.log(k), 1e-4):
        return f"off by log K = {np.log(k):.3f}: each component weighs 1/K."
    wrong = _close("vamp_log_prob(z, means, log_vars)", got, expected)
    if wrong:
        return wrong
    far = z + 60.0  # far from every component: each density underflows
    expected = prior.log_prob(far).numpy()
    with np.errstate(all="ignore"):
        got = np.asarray(answer(far, means, log_vars), np.float64)
    if not np.all(np.isfinite(got)):
        return (
            "for z far from every component log p(z) is -inf or NaN: each "
            "component's density underflows to 0. Sum the components with "
            "log-sum-exp over their log-densities."
        )
    return _close("vamp_log_prob far from the components", got, expected, rtol=1e-3)


EXERCISES: dict[str, Exercise] = {
    "01.autoencoder": Exercise(
        "the encoder and the decoder, from Keras layers", _autoencoder
    ),
    "01.reconstruction_loss": Exercise(
        "-log p(x|z) per image, in nats, from the decoder's logits",
        _reconstruction_loss,
    ),
    "01.fitted_gaussian": Exercise(
        "n points from a Gaussian with the codes' mean and covariance", _fitted_gaussian
    ),
    "01.frechet_distance": Exercise(
        "the Fréchet distance between two sets of features", _frechet_distance
    ),
    "02.sampling": Exercise(
        "a Keras layer: z = mean + sigma * eps, with a gradient path", _sampling
    ),
    "02.vae": Exercise(
        "a keras.Model subclass with train_step and test_step: reconstruction "
        "in nats + KL",
        _vae_model,
    ),
    "02.kl_to_prior": Exercise(
        "KL(q(z|x) || N(0, I)) in closed form, per image", _kl_to_prior
    ),
    "02.negative_elbo": Exercise(
        "the negative ELBO per image: reconstruction + KL", _negative_elbo
    ),
    "03.slerp": Exercise("spherical interpolation between two codes", _slerp),
    "03.move_to_class": Exercise(
        "latent arithmetic: move codes from one class's mean to another's",
        _move_to_class,
    ),
    "03.precision": Exercise(
        "improved precision: the share of samples inside the real manifold", _precision
    ),
    "04.kl_terms": Exercise(
        "the KL's two terms: the mean term and the variance term", _kl_terms
    ),
    "04.kl_warmup": Exercise("beta at a step of a linear KL warm-up", _kl_warmup),
    "05.pca_reconstruction": Exercise(
        "images projected on the first k principal directions, and back",
        _pca_reconstruction,
    ),
    "06.acai_mix": Exercise("ACAI's mixing of codes, alpha in [0, 0.5]", _acai_mix),
    "06.critic_loss": Exercise("ACAI's critic loss", _critic_loss),
    "07.iwae_bound": Exercise(
        "the importance-weighted bound from log-weights, by log-sum-exp", _iwae_bound
    ),
    "07.vamp_log_prob": Exercise(
        "log p(z) under a VampPrior-style mixture of Gaussians", _vamp_log_prob
    ),
}


def verdict(name: str, answer: Callable) -> tuple[bool, str]:
    """Run exercise `name` on your function `answer`: (correct?, what was found)."""
    if name not in EXERCISES:
        raise ValueError(f"no exercise {name!r}; there are {sorted(EXERCISES)}.")
    exercise = EXERCISES[name]
    try:
        problem = exercise.compare(answer)
    except NotImplementedError:
        return False, (f"{name}: not yet answered. Write {exercise.task}.")
    except Exception as error:  # the learner's code: show what broke, don't raise
        return False, f"{name}: your function raised {type(error).__name__}: {error}"
    if problem is None:
        return True, f"{name}: correct, it matches the package."
    return False, f"{name}: not yet. {problem}"


def check(name: str, answer: Callable) -> None:
    """Run exercise `name` on your function `answer` and print the verdict."""
    print(verdict(name, answer)[1])


def require(name: str, answer: Callable) -> None:
    """Raise AssertionError with the verdict unless `answer` is correct (graders)."""
    correct, message = verdict(name, answer)
    assert correct, message
