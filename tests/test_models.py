import keras
import numpy as np
import pytest
import tensorflow as tf

import gdl_vae
from gdl_vae.layers import Sampling
from gdl_vae.precision import best_policy, cpu_has_bfloat16


def weights(model) -> list[np.ndarray]:
    return [np.array(w) for w in model.get_weights()]


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


def test_kl_term_matches_its_closed_form(trained_vae, binary):
    x = binary[1][:64]
    z_mean, z_log_var = (t.numpy() for t in trained_vae.encoder(x))
    closed = 0.5 * np.sum(np.exp(z_log_var) + z_mean**2 - 1 - z_log_var, axis=1)
    q = trained_vae.encode(x)
    kl = tf.keras.ops.convert_to_numpy(
        gdl_vae.models.tfd.kl_divergence(q, trained_vae.prior())
    )
    np.testing.assert_allclose(kl, closed, rtol=1e-4)
    assert closed.mean() > 1.0  # a trained encoder moves away from the prior
    terms = trained_vae.loss_terms(tf.constant(x))
    np.testing.assert_allclose(float(terms["kl_loss"]), closed.mean(), rtol=1e-4)


def test_reconstruction_term_is_the_bernoulli_nll_in_nats(binary):
    keras.utils.set_random_seed(1)
    ae = gdl_vae.build_autoencoder(latent_dim=3, architecture="dense")
    x = binary[1][:32]
    logits = ae.decoder(ae.encoder(x)).numpy()
    # -log Bernoulli(x; sigmoid(l)) = softplus(l) - x * l, summed over pixels.
    nll = np.sum(np.logaddexp(0, logits) - x * logits, axis=(1, 2, 3))
    terms = ae.loss_terms(tf.constant(x))
    np.testing.assert_allclose(
        float(terms["reconstruction_loss"]), nll.mean(), rtol=1e-5
    )
    assert 400 < nll.mean() < 700  # untrained: about 784 * log 2 = 543 nats


def test_reported_loss_is_reconstruction_plus_beta_times_kl(binary):
    keras.utils.set_random_seed(2)
    vae = gdl_vae.build_vae(latent_dim=2, architecture="dense", beta=2.5)
    vae.fit(binary[0][:500], epochs=1, batch_size=100, verbose=0)
    logs = vae.evaluate(binary[1], batch_size=100, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "reconstruction_loss", "kl_loss"}
    expected = logs["reconstruction_loss"] + 2.5 * logs["kl_loss"]
    assert logs["loss"] == pytest.approx(expected, rel=1e-5)
    assert logs["kl_loss"] > 0.1


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
    assert gap["elbo"] > 1.0  # the bound has a real gap to close ...
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
    """Small chunks give the same bound as one big chunk (same k, same draws)."""
    x = binary[1][:3]
    chunked = gdl_vae.evaluation.iwae_bound(
        trained_vae, x, k=300, seed=0, max_decodes=64
    )
    whole = gdl_vae.evaluation.iwae_bound(
        trained_vae, x, k=300, seed=0, max_decodes=4096
    )
    np.testing.assert_allclose(chunked, whole, atol=1.0)


def test_held_out_loss_falls_with_training(mnist):
    keras.utils.set_random_seed(4)
    vae = gdl_vae.build_vae(latent_dim=2)
    held_out = gdl_vae.binarize(mnist.x_test[:500], "dynamic", seed=0)
    before = vae.evaluate(held_out, verbose=0, return_dict=True)["loss"]
    train = gdl_vae.make_dataset(mnist.x_train[:3000], 100, "dynamic", seed=0)
    vae.fit(train, epochs=2, verbose=0)
    after = vae.evaluate(held_out, verbose=0, return_dict=True)["loss"]
    assert before > 500 and after < 0.5 * before


def test_encode_decode_sample_reconstruct_shapes(trained_vae, binary):
    x = binary[1][:5]
    q = trained_vae.encode(x)
    assert q.batch_shape == (5,) and q.event_shape == (2,)
    assert np.all(q.stddev().numpy() > 0)
    p = trained_vae.decode(q.sample(seed=(1, 2)))
    assert p.batch_shape == (5,) and p.event_shape == (28, 28, 1)
    samples = trained_vae.sample(7, seed=0)
    assert samples.shape == (7, 28, 28, 1) and 0 <= samples.min() <= samples.max() <= 1
    np.testing.assert_array_equal(samples, trained_vae.sample(7, seed=0))
    assert trained_vae.reconstruct(x).shape == (5, 28, 28, 1)
    np.testing.assert_allclose(
        trained_vae.predict(x, verbose=0), trained_vae.reconstruct(x), atol=1e-6
    )

    ae = gdl_vae.build_autoencoder(latent_dim=4, architecture="conv")
    codes = ae.encode(x)
    assert codes.shape == (5, 4) and ae.decode(codes).shape == (5, 28, 28, 1)


@pytest.mark.parametrize("kind", ["vae", "ae"])
def test_save_and_load_round_trip_exactly(kind, trained_vae, binary, tmp_path):
    if kind == "vae":
        model = trained_vae
    else:
        model = gdl_vae.build_autoencoder(latent_dim=2, architecture="conv")
        model.fit(binary[0][:200], epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    x = binary[1][:20]
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    if kind == "vae":
        assert float(loaded.beta.numpy()) == 1.0 and loaded.latent_dim == 2
        np.testing.assert_array_equal(
            loaded.encode(x).stddev(), model.encode(x).stddev()
        )


def test_training_resumes_from_a_saved_model_with_its_optimizer_state(binary, tmp_path):
    x = binary[0][:600]
    keras.utils.set_random_seed(5)
    vae = gdl_vae.build_vae(latent_dim=2, architecture="dense")
    vae.fit(x, epochs=1, batch_size=100, shuffle=False, verbose=0)
    vae.save(tmp_path / "m.keras")
    resumed = keras.models.load_model(tmp_path / "m.keras")
    fresh_optimizer = keras.models.load_model(tmp_path / "m.keras")
    fresh_optimizer.compile(optimizer=keras.optimizers.Adam(1e-3))
    for model in (vae, resumed, fresh_optimizer):
        model.fit(x, epochs=1, batch_size=100, shuffle=False, verbose=0)
    for a, b in zip(weights(vae), weights(resumed), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    # Without the saved Adam moments the same step lands elsewhere.
    assert (
        max(
            np.abs(a - b).max()
            for a, b in zip(weights(vae), weights(fresh_optimizer), strict=True)
        )
        > 1e-3
    )


def test_same_seed_gives_the_same_weights(mnist):
    def train() -> list[np.ndarray]:
        keras.utils.set_random_seed(6)
        vae = gdl_vae.build_vae(latent_dim=2)
        vae.fit(
            gdl_vae.make_dataset(mnist.x_train[:512], 128, "dynamic"),
            epochs=1,
            verbose=0,
        )
        return weights(vae)

    for a, b in zip(train(), train(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_bad_arguments_raise_value_errors(trained_vae, binary):
    x = binary[1][:4]
    with pytest.raises(
        ValueError, match="latent_dim must be a whole number >= 1; got 0"
    ):
        gdl_vae.build_vae(latent_dim=0)
    with pytest.raises(ValueError, match="latent_dim"):
        gdl_vae.build_autoencoder(latent_dim=-3)
    with pytest.raises(ValueError, match="k must be a whole number >= 1; got 0"):
        trained_vae.iwae_bound(x, k=0)
    with pytest.raises(ValueError, match="n_samples"):
        trained_vae.elbo(x, n_samples=0)
    with pytest.raises(ValueError, match="n must be"):
        trained_vae.sample(0)
    with pytest.raises(ValueError, match=r"z must have shape \(N, 2\); got \(4, 3\)"):
        trained_vae.decode(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="architecture must be one of conv, dense"):
        gdl_vae.build_vae(architecture="resnet")
    with pytest.raises(ValueError, match="beta must be >= 0"):
        gdl_vae.build_vae(beta=-1)
    with pytest.raises(ValueError, match="multiples of 4"):
        gdl_vae.build_vae(image_shape=(30, 30, 1))
    with pytest.raises(ValueError, match="uint8"):
        trained_vae.fit((x * 255).astype(np.uint8), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"validation_data.*NaN"):
        trained_vae.fit(x, validation_data=np.full_like(x, np.nan), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"x\[\.\.\., None\]"):
        trained_vae.encode(x[..., 0])
    with pytest.raises(ValueError, match="values from 0 to 255"):
        trained_vae.evaluate(x * 255, verbose=0)


def test_a_nan_loss_stops_training_with_a_message(binary):
    x = binary[0][:300].copy()
    x[150] = np.nan  # bypasses the input check: a tf.data pipeline is not inspected
    batches = tf.data.Dataset.from_tensor_slices(x).batch(100)
    vae = gdl_vae.build_vae(2, "dense", steps_per_execution=1)
    with pytest.raises(FloatingPointError, match=r"became nan in epoch 1, batch 2;"):
        vae.fit(batches, epochs=3, verbose=0)
    vae = gdl_vae.build_vae(2, "dense")  # 32 steps per execution: a range
    with pytest.raises(FloatingPointError, match=r"epoch 1, batches 1-3 \(compile"):
        vae.fit(batches, epochs=3, verbose=0)


def test_steps_per_execution_changes_speed_not_the_updates(mnist):
    def train(steps: int) -> list[np.ndarray]:
        keras.utils.set_random_seed(2)
        vae = gdl_vae.build_vae(2, "dense", seed=2, steps_per_execution=steps)
        pipeline = gdl_vae.make_dataset(mnist.x_train[:640], 64, "dynamic", seed=2)
        vae.fit(pipeline, epochs=2, verbose=0)
        return weights(vae)

    assert gdl_vae.models.STEPS_PER_EXECUTION > 1
    for a, b in zip(train(1), train(gdl_vae.models.STEPS_PER_EXECUTION), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_mixed_bfloat16_computes_in_bfloat16_and_keeps_losses_in_float32(binary):
    vae = gdl_vae.build_vae(latent_dim=2, dtype_policy="mixed_bfloat16")
    assert vae.encoder.layers[1].compute_dtype == "bfloat16"
    assert vae.encoder.get_layer("z_mean").compute_dtype == "float32"
    assert vae.decoder.get_layer("logits").compute_dtype == "float32"
    terms = vae.loss_terms(tf.constant(binary[1][:8]))
    assert all(t.dtype == tf.float32 for t in terms.values())
    history = vae.fit(binary[0][:256], epochs=1, batch_size=128, verbose=0)
    assert np.isfinite(history.history["loss"][-1])


def test_policy_choice_follows_the_hardware():
    avx512_bf16 = "flags : fpu sse2 avx2 avx512f avx512_bf16"
    amx = "flags : fpu avx512f avx512_bf16 amx_bf16 amx_tile"
    assert cpu_has_bfloat16(avx512_bf16) and cpu_has_bfloat16(amx)
    assert not cpu_has_bfloat16("flags : fpu sse2 avx2 avx512f")
    if not tf.config.list_physical_devices("GPU"):
        assert best_policy(amx) == "mixed_bfloat16"
        assert best_policy(avx512_bf16) == "float32"  # measured: not worth it
        assert best_policy("flags : fpu sse2") == "float32"


def test_bounds_for_many_models_do_not_retrace(binary, caplog):
    """A notebook compares many models: each is traced once, with no TF warning."""
    x = binary[1][:2]
    for _ in range(7):
        vae = gdl_vae.build_vae(latent_dim=2, architecture="dense")
        vae.elbo(x)
        vae.iwae_bound(x, k=3)
    assert "retracing" not in caplog.text
