"""The VAE: its loss terms, encode/decode/sample, saving, seeds and arguments."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import gdl_vae
from gdl_vae.measure import bounds


def weights(model) -> list[np.ndarray]:
    return [np.array(w) for w in model.get_weights()]


def test_kl_term_matches_its_closed_form(trained_vae, binary):
    x = binary[1][:64]
    z_mean, z_log_var = (t.numpy() for t in trained_vae.encoder(x))
    closed = 0.5 * np.sum(np.exp(z_log_var) + z_mean**2 - 1 - z_log_var, axis=1)
    q = trained_vae.encode(x)
    kl = tf.keras.ops.convert_to_numpy(
        tfp.distributions.kl_divergence(q, trained_vae.prior())
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


def test_fixed_scale_freezes_the_posterior_width_and_leaves_the_mean_term(binary):
    x = binary[1][:64]
    vae = gdl_vae.build_vae(4, "dense", seed=0, fixed_scale=1.0)
    q = vae.encode(x)
    np.testing.assert_allclose(q.stddev().numpy(), 1.0, rtol=1e-6)
    parts = bounds.kl_parts(vae, x)
    assert parts["kl_variance_term"] == pytest.approx(0.0, abs=1e-9)
    mean = q.mean().numpy().astype(np.float64)
    assert parts["kl_mean_term"] == pytest.approx(0.5 * np.mean(np.sum(mean**2, 1)))
    terms = vae.loss_terms(x)
    assert float(terms["kl_loss"]) == pytest.approx(parts["kl_mean_term"], rel=1e-4)
    narrow = gdl_vae.build_vae(4, "dense", seed=0, fixed_scale=0.1)
    assert bounds.kl_parts(narrow, x)["kl_variance_term"] == pytest.approx(
        4 * 0.5 * (0.01 - 1 - np.log(0.01)), rel=1e-5
    )
    with pytest.raises(ValueError, match="fixed_scale must be > 0"):
        gdl_vae.build_vae(fixed_scale=0.0)


def test_fixed_scale_survives_saving(binary, tmp_path):
    vae = gdl_vae.build_vae(3, "dense", seed=0, fixed_scale=0.5)
    assert not vae.encoder.get_layer("z_log_var").trainable  # its output is unused
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "gradients do not exist" warning
        vae.fit(binary[0][:256], batch_size=128, epochs=1, verbose=0)
    vae.save(tmp_path / "vae.keras")
    loaded = keras.models.load_model(tmp_path / "vae.keras")
    assert loaded.fixed_scale == 0.5
    np.testing.assert_allclose(loaded.encode(binary[1][:8]).stddev().numpy(), 0.5)


def test_each_kl_term_is_the_term_computed_by_hand(binary):
    """The 2 x 2 design of notebook 04: the loss keeps the whole KL, its mean
    term or its variance term, with sigma learned in each."""
    x = binary[1][:64]
    vae = gdl_vae.build_vae(4, "dense", seed=0)
    # Move the encoder's outputs away from the prior's so both terms are large.
    vae.encoder.get_layer("z_mean").bias.assign(np.linspace(-1, 1, 4).astype("f4"))
    bias = vae.encoder.get_layer("z_log_var").bias
    bias.assign(np.linspace(-1.5, 1.0, 4).astype("float32"))
    mean, log_var = (np.asarray(t, np.float64) for t in vae.posterior_parameters(x))
    by_hand = {
        "mean": 0.5 * np.mean(np.sum(mean**2, axis=1)),
        "variance": 0.5 * np.mean(np.sum(np.exp(log_var) - 1 - log_var, axis=1)),
    }
    by_hand["both"] = by_hand["mean"] + by_hand["variance"]
    assert min(by_hand.values()) > 0.1
    for term, expected in by_hand.items():
        variant = gdl_vae.build_vae(4, "dense", seed=0, kl_term=term)
        variant.set_weights(vae.get_weights())
        assert variant.kl_term == term
        kl = float(variant.loss_terms(x)["kl_loss"])
        assert kl == pytest.approx(expected, rel=1e-4), term
        # The bound always scores the model with the whole KL.
        assert np.allclose(bounds.kl_parts(variant, x)["kl_mean_term"], by_hand["mean"])
    with pytest.raises(ValueError, match="kl_term must be one of"):
        gdl_vae.build_vae(kl_term="mu")


def test_a_single_kl_term_trains_and_survives_saving(binary, tmp_path):
    vae = gdl_vae.build_vae(3, "dense", seed=0, kl_term="variance")
    assert vae.encoder.get_layer("z_log_var").trainable  # sigma stays learned
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every weight gets a gradient
        history = vae.fit(binary[0][:256], batch_size=128, epochs=1, verbose=0)
    assert np.isfinite(history.history["kl_loss"][-1])
    vae.save(tmp_path / "vae.keras")
    loaded = keras.models.load_model(tmp_path / "vae.keras")
    assert loaded.kl_term == "variance"
    np.testing.assert_allclose(
        loaded.loss_terms(binary[1][:8])["kl_loss"],
        vae.loss_terms(binary[1][:8])["kl_loss"],
        rtol=1e-5,
    )
