"""The checks of the pieces written in Keras: the autoencoder's two networks
(notebook 01), the sampling layer and the VAE as a keras.Model (notebook 02)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gdl_vae.exercises.compare import binary_images, ratio_hint


def autoencoder(answer: Callable) -> str | None:
    """01.autoencoder: the encoder and the decoder, from Keras layers. None if right,
    else what is wrong."""
    import keras
    import tensorflow as tf

    encoder, decoder = answer(3)
    for part, net in (("encoder", encoder), ("decoder", decoder)):
        if not isinstance(net, keras.Model):
            return (
                f"the {part} is a {type(net).__name__}; return keras models "
                "(keras.Sequential or the functional API)."
            )
    x = binary_images(11, 8)
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


def sampling(answer: Callable) -> str | None:
    """02.sampling: a Keras layer: z = mean + sigma * eps, with a gradient path. None
    if right, else what is wrong."""
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


def recording_decoder(decoder):
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


def package_terms(package, x, z, z_mean, z_log_var):
    """The package's reconstruction and KL terms, batch means, at a given z and
    posterior parameters (tensors, so a tape can differentiate them)."""
    import tensorflow as tf
    import tensorflow_probability as tfp

    reconstruction = -tf.reduce_mean(package.likelihood(package.decoder(z)).log_prob(x))
    q = package.posterior(z_mean, z_log_var)
    kl = tf.reduce_mean(tfp.distributions.kl_divergence(q, package.prior()))
    return reconstruction, kl


def vae_model(answer: Callable) -> str | None:
    """02.vae: a keras.Model subclass with train_step and test_step: reconstruction in
    nats + KL. None if right, else what is wrong."""
    import keras
    import tensorflow as tf

    import gdl_vae

    x = binary_images(12)
    package = gdl_vae.build_vae(latent_dim=2, architecture="dense", seed=0)
    recorder = recording_decoder(package.decoder)
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
    reconstruction, kl = (
        float(t) for t in package_terms(package, x, recorder.z, *package.encoder(x))
    )
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
        wrong = ratio_hint("the KL term", got["kl_loss"], kl, kl_hints) or (
            ratio_hint(
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

    def sgd_step(cut: bool) -> np.ndarray:
        """-lr times the gradient of the package's loss at eps, all weights in
        one vector; with cut, z is cut off from the encoder (only the KL
        reaches it)."""
        with tf.GradientTape() as tape:
            z_mean, z_log_var = package.encoder(x)
            z = z_mean + tf.exp(0.5 * z_log_var) * eps
            z = tf.stop_gradient(z) if cut else z
            loss = sum(package_terms(package, x, z, z_mean, z_log_var))
        grads = tape.gradient(loss, weights)
        return np.concatenate(
            [
                (-lr * (g.numpy() if g is not None else np.zeros_like(w))).ravel()
                for g, w in zip(grads, before, strict=True)
            ]
        )

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
    expected = sgd_step(cut=False)
    error = np.linalg.norm(step - expected) / np.linalg.norm(expected)
    cut = sgd_step(cut=True)
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
