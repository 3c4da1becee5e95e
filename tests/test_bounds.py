"""Likelihood bounds: ELBO, IWAE and the KL split, against exact values."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import gdl_vae
from gdl_vae.measure import bounds


def test_elbo_and_iwae_bracket_the_exact_log_likelihood(binary):
    """With a 1-D latent, log p(x) = log integral p(x|z) p(z) dz by quadrature."""
    keras.utils.set_random_seed(3)
    vae = gdl_vae.build_vae(latent_dim=1, architecture="dense")
    vae.fit(binary[0], epochs=2, batch_size=100, verbose=0)
    x = binary[1][:16]
    grid = np.linspace(-8, 8, 4001, dtype=np.float32)[:, None]
    log_px_z = vae.decode(grid).log_prob(x[:, None]).numpy()  # [16, 4001]
    log_pz = -0.5 * grid[:, 0] ** 2 - 0.5 * np.log(2 * np.pi)
    exact = np.logaddexp.reduce(log_px_z + log_pz, axis=1) + np.log(
        grid[1, 0] - grid[0, 0]
    )

    elbo = vae.elbo(x, n_samples=2000, seed=0)
    iwae_10 = vae.iwae_bound(x, k=10, seed=0)
    iwae_5000 = vae.iwae_bound(x, k=5000, seed=0)
    assert elbo.shape == iwae_5000.shape == (16,)
    assert np.all(elbo < exact)  # a lower bound, for every image
    gap = {
        name: (exact - b).mean()
        for name, b in [("elbo", elbo), ("10", iwae_10), ("5000", iwae_5000)]
    }
    # The bound has a real gap to close (about 1 nat here), far above the
    # quadrature's and the estimates' noise (median |exact - iwae_5000| ~ 0.01) ...
    assert gap["elbo"] > 0.5
    assert gap["elbo"] > gap["10"] > abs(gap["5000"])  # ... which closes as k grows
    assert abs(gap["5000"]) < 0.25 * gap["elbo"]
    # Only the expectation is bounded: with a mismatched q the importance
    # weights are heavy-tailed, so one image's estimate may overshoot a little.
    assert np.median(np.abs(exact - iwae_5000)) < 0.25


def test_iwae_with_k_equal_one_estimates_the_elbo(trained_vae, binary):
    x = binary[1]
    one = trained_vae.iwae_bound(x, k=1, seed=0).mean()
    assert one == pytest.approx(
        trained_vae.elbo(x, n_samples=20, seed=0).mean(), abs=1.5
    )


def test_iwae_memory_is_bounded_by_chunking(trained_vae, binary):
    """Small chunks estimate the same bound as one big chunk.

    The chunks draw their own samples, so the two are independent estimates: per
    image they differ by about 0.7 nats (k=300), on average over 64 images by
    under 0.1. A chunk dropped or a wrong log k would move the mean by over 1.
    """
    x = binary[1][:64]
    chunked = bounds.iwae_bound(trained_vae, x, k=300, seed=0, max_decodes=64)
    whole = bounds.iwae_bound(trained_vae, x, k=300, seed=0, max_decodes=4096)
    assert chunked.shape == whole.shape == (64,)
    assert abs((chunked - whole).mean()) < 0.3
    assert np.median(np.abs(chunked - whole)) < 1.5


def test_bounds_for_many_models_do_not_retrace(binary, caplog):
    """A notebook compares many models: each is traced once, with no TF warning."""
    x = binary[1][:2]
    for _ in range(7):
        vae = gdl_vae.build_vae(latent_dim=2, architecture="dense")
        vae.elbo(x)
        vae.iwae_bound(x, k=3)
    assert "retracing" not in caplog.text


def test_kl_parts_add_up_to_the_analytic_kl(trained_vae, binary):
    x = binary[1][:128]
    parts = bounds.kl_parts(trained_vae, x)
    q = trained_vae.encode(x)
    kl = tfp.distributions.kl_divergence(q, trained_vae.prior()).numpy().mean()
    assert parts["kl_mean_term"] + parts["kl_variance_term"] == pytest.approx(
        kl, rel=1e-4
    )
    assert parts["kl_mean_term"] > 0 and parts["kl_variance_term"] > 0


def test_bounds_for_several_k_share_one_set_of_draws(trained_vae, binary):
    x = binary[1][:200]
    ks = (1, 4, 20, 100)
    several = trained_vae.iwae_bounds(x, ks, seed=0)
    assert several.shape == (200, 4)
    # The largest k is the bound computed directly from 100 other draws ...
    q = trained_vae.encode(x)
    z = q.sample(100, seed=5)  # [100, 200, latent_dim]
    log_px_z = trained_vae.decode(tf.reshape(z, (-1, 2))).log_prob(
        np.tile(x, (100, 1, 1, 1))
    )
    log_w = np.reshape(log_px_z, (100, 200)) + trained_vae.prior().log_prob(z)
    direct = tf.reduce_logsumexp(log_w - q.log_prob(z), axis=0) - np.log(100)
    assert several[:, -1].mean() == pytest.approx(
        float(tf.reduce_mean(direct)), abs=0.1
    )
    # ... the smaller ones average disjoint groups: k = 1 is the ELBO's estimate,
    means = several.mean(axis=0)
    elbo = trained_vae.elbo(x, n_samples=100, seed=1).mean()
    assert means[0] == pytest.approx(elbo, abs=0.3)
    # and the bound rises with k.
    assert np.all(np.diff(means) > 0)
    with pytest.raises(ValueError, match="ks is empty"):
        trained_vae.iwae_bounds(x, ())
