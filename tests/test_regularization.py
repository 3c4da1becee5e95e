"""What notebook 04 relies on: the frozen-variance VAE, the KL split, KL
warm-up, the metrics of the sweep, and the sweep runner itself."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow_probability as tfp

import gdl_vae
from gdl_vae import evaluation, latent, sweep


def test_fixed_scale_freezes_the_posterior_width_and_leaves_the_mean_term(binary):
    x = binary[1][:64]
    vae = gdl_vae.build_vae(4, "dense", seed=0, fixed_scale=1.0)
    q = vae.encode(x)
    np.testing.assert_allclose(q.stddev().numpy(), 1.0, rtol=1e-6)
    parts = evaluation.kl_parts(vae, x)
    assert parts["kl_variance_term"] == pytest.approx(0.0, abs=1e-9)
    mean = q.mean().numpy().astype(np.float64)
    assert parts["kl_mean_term"] == pytest.approx(0.5 * np.mean(np.sum(mean**2, 1)))
    terms = vae.loss_terms(x)
    assert float(terms["kl_loss"]) == pytest.approx(parts["kl_mean_term"], rel=1e-4)
    narrow = gdl_vae.build_vae(4, "dense", seed=0, fixed_scale=0.1)
    assert evaluation.kl_parts(narrow, x)["kl_variance_term"] == pytest.approx(
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


def test_kl_parts_add_up_to_the_analytic_kl(trained_vae, binary):
    x = binary[1][:128]
    parts = evaluation.kl_parts(trained_vae, x)
    q = trained_vae.encode(x)
    kl = tfp.distributions.kl_divergence(q, trained_vae.prior()).numpy().mean()
    assert parts["kl_mean_term"] + parts["kl_variance_term"] == pytest.approx(
        kl, rel=1e-4
    )
    assert parts["kl_mean_term"] > 0 and parts["kl_variance_term"] > 0


def test_kl_warmup_anneals_beta_from_zero_to_the_target(binary):
    warmup = gdl_vae.KLWarmup(epochs=4, target=2.0)
    assert [warmup.beta_at(e) for e in range(6)] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.0]
    vae = gdl_vae.build_vae(2, "dense", seed=0)
    history = vae.fit(
        binary[0][:256], batch_size=128, epochs=5, callbacks=[warmup], verbose=0
    )
    assert history.history["beta"] == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert float(vae.beta.numpy()) == 2.0
    with pytest.raises(ValueError, match="epochs must be at least 1"):
        gdl_vae.KLWarmup(0)


def test_active_units_count_dimensions_whose_means_vary():
    rng = np.random.default_rng(0)
    codes = np.concatenate(
        [rng.normal(size=(500, 3)), 0.01 * rng.normal(size=(500, 2))], axis=1
    )
    assert latent.active_units(codes) == 3
    assert latent.active_units(codes, threshold=1e-6) == 5
    with pytest.raises(ValueError, match="codes must be"):
        latent.active_units(codes[0])


def test_direction_changes_grow_with_the_step(trained_vae, binary):
    codes = trained_vae.codes(binary[1][:50])
    none = evaluation.direction_changes(trained_vae, codes, 0.0, seed=0)
    small = evaluation.direction_changes(trained_vae, codes, 0.05, seed=0)
    large = evaluation.direction_changes(trained_vae, codes, 1.0, seed=0)
    assert none.shape == (50,) and np.all(none == 0)
    assert 0 < small.mean() < large.mean()


def test_nearest_image_distances_find_copies(binary):
    train = binary[0][:300]
    copies = evaluation.nearest_image_distances(train[:20], train)
    assert np.allclose(copies, 0.0, atol=1e-3)
    others = evaluation.nearest_image_distances(binary[1][:20], train)
    assert np.all(others > 0.05)


def test_nearer_training_share_tells_copies_from_new_digits(mnist):
    train, held_out = mnist.x_train[:500], mnist.x_test[:500]
    share = evaluation.nearer_training_share
    assert share(train[:100], train, held_out) == 1.0  # copies of training images
    assert share(held_out[:100], train, held_out) == 0.0
    new = mnist.x_train[1000:1400]  # digits neither set holds: about even
    assert 0.4 < share(new, train, held_out) < 0.6
    # blurring new digits moves both distances alike: still about even
    blurred = (new + np.roll(new, 1, axis=1) + np.roll(new, 1, axis=2)) / 3
    assert 0.4 < share(blurred, train, held_out) < 0.6
    with pytest.raises(ValueError, match="as many training as held-out"):
        share(new, train, held_out[:100])


def test_sweep_trains_each_model_alike_and_measures_them(mnist):
    x_train, x_test = mnist.x_train[:512], mnist.x_test[:200]
    builders = {
        "AE": lambda: gdl_vae.build_autoencoder(3, "dense"),
        "beta=1": lambda: gdl_vae.build_vae(3, "dense", seed=0),
    }
    trained = sweep.train_models(builders, x_train, images_seen=1024, verbose=False)
    assert list(trained) == ["AE", "beta=1"]
    assert len(trained["beta=1"].history["loss"]) == 2
    models = {name: t.model for name, t in trained.items()}
    rows = sweep.measure(models, x_train, x_test, n_samples=100, n_paths=20)
    ae, vae = rows
    assert ae["model"] == "AE" and "kl" not in ae and "neg_elbo" not in ae
    assert vae["neg_elbo"] == pytest.approx(vae["reconstruction"] + vae["kl"])
    for row in rows:
        for key in ("gap", "largest_step_share", "path_ratio", "direction_change"):
            assert np.isfinite(row[key])
        assert 0 <= row["nearer_train"] <= 1
        assert 1 <= row["active_units"] <= 3
    text = sweep.table(rows, {"model": "model", "reconstruction": "rec", "kl": "KL"})
    lines = text.splitlines()
    assert lines[0].split() == ["model", "rec", "KL"]
    assert lines[1].split() == ["AE", f"{ae['reconstruction']:.2f}", "-"]
    assert f"{vae['kl']:.2f}" in lines[2]
    with pytest.raises(ValueError, match="builders is empty"):
        sweep.train_models({}, x_train, 100)


def test_mean_term_share_places_the_mean_only_model_between_the_ends():
    rows = [
        {"model": "β=0", "x": 10.0, "y": 1.0, "z": 4.0},
        {"model": "β=1", "x": 20.0, "y": 1.0, "z": 8.0},
        {"model": "mean-only KL", "x": 17.5, "y": 3.0},
    ]
    assert sweep.mean_term_share(rows, "x") == pytest.approx(0.75)
    assert np.isnan(sweep.mean_term_share(rows, "y"))  # the KL changed nothing
    with pytest.raises(ValueError, match="no 'z' for mean-only KL"):
        sweep.mean_term_share(rows, "z")
