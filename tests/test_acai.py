"""ACAI: both networks train from one step, the penalty is the only difference
from an autoencoder, and the model saves and loads like the others."""

import keras
import numpy as np
import pytest

import gdl_vae
from gdl_vae.measure import lines

SHAPE = (32, 32, 1)


@pytest.fixture(scope="module")
def line_images():
    return lines.make_lines(512, seed=0)[0]


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


def test_acai_reports_every_term_and_updates_both_networks(line_images):
    acai = gdl_vae.build_acai(8, "conv", image_shape=SHAPE, seed=0)
    autoencoder_before = [np.array(w) for w in acai.autoencoder_weights]
    critic_before = _weights(acai.critic)
    history = acai.fit(line_images, batch_size=64, epochs=1, verbose=0).history
    assert set(history) == set(gdl_vae.ACAI.loss_names)
    assert all(np.isfinite(values[-1]) for values in history.values())
    after = acai.autoencoder_weights
    assert all(
        not np.allclose(a, b) for a, b in zip(autoencoder_before, after, strict=True)
    )
    assert all(
        not np.allclose(a, b)
        for a, b in zip(critic_before, _weights(acai.critic), strict=True)
    )
    terms = acai.loss_terms(line_images[:64])
    pixels = 32 * 32
    assert float(terms["loss"]) == pytest.approx(
        float(terms["reconstruction_loss"])
        + 0.5 * pixels * float(terms["adversarial_loss"]),
        rel=1e-5,
    )
    assert float(terms["critic_loss"]) == pytest.approx(
        float(terms["critic_mix_loss"]) + float(terms["critic_real_loss"]), rel=1e-5
    )


def test_without_the_penalty_acai_trains_exactly_like_an_autoencoder(line_images):
    keras.utils.set_random_seed(0)
    plain = gdl_vae.build_autoencoder(8, "conv", image_shape=SHAPE, learning_rate=1e-3)
    keras.utils.set_random_seed(0)
    acai = gdl_vae.build_acai(
        8, "conv", image_shape=SHAPE, learning_rate=1e-3, adversarial_weight=0.0, seed=0
    )
    for model in (plain, acai):
        model.fit(line_images, batch_size=64, epochs=2, shuffle=False, verbose=0)
    ours = acai.encoder.get_weights() + acai.decoder.get_weights()
    theirs = plain.encoder.get_weights() + plain.decoder.get_weights()
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_mixes_pair_each_code_with_the_reversed_batch():
    acai = gdl_vae.build_acai(3, "dense", image_shape=SHAPE, seed=0)
    z = np.arange(12, dtype="float32").reshape(4, 3)
    alpha, mixed = (np.asarray(t) for t in acai.mix(z))
    assert alpha.shape == (4,) and np.all((alpha >= 0) & (alpha <= 0.5))
    expected = alpha[:, None] * z + (1 - alpha[:, None]) * z[::-1]
    np.testing.assert_allclose(mixed, expected, rtol=1e-6)


def test_acai_saves_loads_and_trains_on(line_images, tmp_path):
    acai = gdl_vae.build_acai(
        4, "dense", image_shape=SHAPE, adversarial_weight=0.3, gamma=0.1, seed=2
    )
    acai.fit(line_images, batch_size=64, epochs=1, verbose=0)
    acai.save(tmp_path / "acai.keras")
    loaded = keras.saving.load_model(tmp_path / "acai.keras")
    assert isinstance(loaded, gdl_vae.ACAI)
    assert (loaded.adversarial_weight, loaded.gamma, loaded.seed) == (0.3, 0.1, 2)
    np.testing.assert_allclose(
        loaded.codes(line_images[:16]), acai.codes(line_images[:16]), rtol=1e-5
    )
    for a, b in zip(_weights(loaded.critic), _weights(acai.critic), strict=True):
        np.testing.assert_array_equal(a, b)
    history = loaded.fit(line_images, batch_size=64, epochs=1, verbose=0).history
    assert np.isfinite(history["critic_loss"][-1])


def test_acai_rejects_weights_outside_their_range():
    with pytest.raises(ValueError, match="adversarial_weight must be >= 0"):
        gdl_vae.build_acai(2, "dense", image_shape=SHAPE, adversarial_weight=-1.0)
    with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\]"):
        gdl_vae.build_acai(2, "dense", image_shape=SHAPE, gamma=1.5)


def test_the_benchmark_scores_any_model_with_codes_and_decode_mean(line_images):
    model = gdl_vae.build_autoencoder(4, "dense", image_shape=SHAPE)
    scores = lines.benchmark(model, n_pairs=8)
    assert set(scores) == {"mean_distance", "smoothness"}
    assert 0 <= scores["mean_distance"] <= 2 and np.isfinite(scores["smoothness"])


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_acai_trains_under_mixed_precision(line_images, policy):
    acai = gdl_vae.build_acai(4, "conv", image_shape=SHAPE, dtype_policy=policy, seed=0)
    assert acai.encoder.layers[1].compute_dtype == policy.split("_")[1]
    assert acai.critic.output.dtype == "float32"  # its losses stay in float32
    history = acai.fit(line_images[:128], batch_size=64, epochs=1, verbose=0).history
    assert all(np.isfinite(values[-1]) for values in history.values())
    wrapped = isinstance(acai.critic_optimizer, keras.optimizers.LossScaleOptimizer)
    assert wrapped == (policy == "mixed_float16")  # float16 needs loss scaling
