"""Sampling: the reparameterization trick."""

import numpy as np
import tensorflow as tf

from gdl_vae.models.layers import Sampling


def test_sampling_passes_gradients_to_mean_and_log_variance():
    mean = tf.Variable([[0.5, -1.0, 2.0]])
    log_var = tf.Variable([[0.0, np.log(4.0), -2.0]], dtype=tf.float32)
    with tf.GradientTape() as tape:
        z = Sampling(seed=0)([mean, log_var])
        target = tf.reduce_sum(z)
    d_mean, d_log_var = tape.gradient(target, [mean, log_var])
    sigma = np.exp(0.5 * log_var.numpy())
    eps = (z.numpy() - mean.numpy()) / sigma
    np.testing.assert_allclose(d_mean.numpy(), 1.0)
    np.testing.assert_allclose(d_log_var.numpy(), 0.5 * sigma * eps, rtol=1e-5)
    assert np.all(d_log_var.numpy() != 0)


def test_sampling_draws_from_the_right_gaussian_and_is_seeded():
    mean = tf.fill((40000, 1), 1.5)
    log_var = tf.fill((40000, 1), float(np.log(4.0)))
    z = Sampling(seed=7)([mean, log_var]).numpy()
    assert abs(z.mean() - 1.5) < 0.04 and abs(z.std() - 2.0) < 0.04
    np.testing.assert_array_equal(z, Sampling(seed=7)([mean, log_var]).numpy())
