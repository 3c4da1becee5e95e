"""The two-layer VAE: its bounds against the one-layer definitions, each layer's
KL against Monte Carlo, free bits, saving and loading, and the shipped models."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import gdl_vae
from gdl_vae.measure.stats import standard_error
from gdl_vae.models import pretrained
from gdl_vae.models.hierarchical import diagonal_kl, diagonal_log_prob


def weights(model) -> list[np.ndarray]:
    return [np.array(w) for w in model.get_weights()]


@pytest.fixture(scope="module")
def hvae(binary):
    """A two-layer VAE (z1 of 4, z2 of 3, VampPrior on z2) trained briefly."""
    keras.utils.set_random_seed(21)
    model = gdl_vae.build_hierarchical_vae(
        7, top_dim=3, prior="vamp", n_pseudo_inputs=10, seed=0
    )
    model.fit(binary[0], epochs=2, batch_size=100, verbose=0)
    return model


@pytest.fixture(scope="module")
def normal_hvae(binary):
    keras.utils.set_random_seed(22)
    model = gdl_vae.build_hierarchical_vae(7, top_dim=3, seed=0)
    model.fit(binary[0], epochs=2, batch_size=100, verbose=0)
    return model


def test_the_latent_point_is_the_pair_and_everything_takes_it(hvae, binary):
    x = binary[1][:20]
    assert (hvae.latent_dim, hvae.top_dim, hvae.z2_dim) == (7, 3, 3)
    assert hvae.codes(x).shape == (20, 7)
    assert np.asarray(hvae.encode(x).stddev()).shape == (20, 7)
    z = hvae.latent_samples(9, seed=0)
    assert z.shape == (9, 7) and z.dtype == np.float32
    np.testing.assert_array_equal(hvae.latent_samples(9, seed=0), z)
    assert hvae.sample(9, seed=0).shape == (9, 28, 28, 1)
    assert hvae.decode_mean(z).shape == (9, 28, 28, 1)
    assert hvae.pseudo_images().shape == (10, 28, 28, 1)


def test_the_bound_at_k_1_is_the_elbo(hvae, normal_hvae, binary):
    x = binary[1][:100]
    for model in (hvae, normal_hvae):
        # The same draws: the same number.
        np.testing.assert_allclose(
            model.iwae_bound(x, k=1, seed=3), model.elbo(x, seed=3), rtol=1e-6
        )
        elbo = model.elbo(x, n_samples=100, seed=0).mean()
        assert model.iwae_bound(x, k=100, seed=0).mean() > elbo + 0.5


def test_the_training_loss_is_reconstruction_plus_both_kl_terms(normal_hvae, binary):
    x = tf.constant(binary[1][:200])
    terms = [normal_hvae.loss_terms(x) for _ in range(40)]
    for t in terms[:3]:
        np.testing.assert_allclose(
            float(t["loss"]),
            float(t["reconstruction_loss"] + t["kl_z1"] + t["kl_z2"]),
            rtol=1e-5,
        )
        np.testing.assert_allclose(
            float(t["kl_loss"]), float(t["kl_z1"] + t["kl_z2"]), rtol=1e-5
        )
    # Its mean over draws is the negative ELBO the bounds compute.
    losses = np.array([float(t["loss"]) for t in terms])
    neg_elbo = -normal_hvae.elbo(binary[1][:200], n_samples=40, seed=0).mean()
    assert abs(losses.mean() - neg_elbo) < 4 * losses.std() / np.sqrt(40) + 0.2


def test_each_layers_kl_against_monte_carlo(normal_hvae, hvae, binary):
    x = binary[1][:50]
    for model in (normal_hvae, hvae):
        z2_mean, z2_log_var, h = model.posterior_parameters(tf.constant(x))
        q = model.posterior(z2_mean, z2_log_var, h)
        z = q.sample(4000, seed=5)  # [4000, 50, 7]
        z1, z2 = model.split(z)
        z1_mean, z1_log_var = q.z1_parameters(z2)
        prior_mean, prior_log_var = model.prior.z1_parameters(z2)
        log_ratio_z1 = diagonal_log_prob(z1, z1_mean, z1_log_var) - diagonal_log_prob(
            z1, prior_mean, prior_log_var
        )
        log_ratio_z2 = diagonal_log_prob(
            z2, z2_mean, z2_log_var
        ) - model.prior.top.log_prob(z2)
        # The layers' log-ratios add up to log q(z|x) - log p(z).
        np.testing.assert_allclose(
            log_ratio_z1 + log_ratio_z2,
            q.log_prob(z) - model.prior.log_prob(z),
            rtol=1e-4,
            atol=1e-3,
        )
        kl = [model.kl_layers(x, seed=s) for s in range(200)]
        for name, ratio in (("kl_z1", log_ratio_z1), ("kl_z2", log_ratio_z2)):
            monte_carlo = np.asarray(ratio).mean(axis=0)  # per image
            estimate = np.mean([k[name] for k in kl], axis=0)
            # the standard error of both: 4000 draws, and 200 behind the estimate
            spread = np.asarray(ratio).std(axis=0) * np.sqrt(1 / 4000 + 1 / 200)
            assert monte_carlo.mean() > 0.05
            error = np.abs(estimate - monte_carlo)
            assert np.all(error < 5 * spread), name


def test_ancestral_samples_follow_the_prior_layer_by_layer(hvae):
    """prior.sample_z1 draws from p(z1|z2) for each z2; prior.sample draws z2
    from the top prior, then z1 so."""
    z2 = np.repeat(hvae.prior.top.sample(2, np.random.default_rng(0)), 20_000, axis=0)
    z1 = hvae.prior.sample_z1(z2, np.random.default_rng(1))
    mean, log_var = (np.asarray(t) for t in hvae.prior.z1_parameters(z2[::20_000]))
    for i in range(2):
        draws = z1[i * 20_000 : (i + 1) * 20_000]
        sd = np.exp(0.5 * log_var[i])
        assert np.all(np.abs(draws.mean(0) - mean[i]) < 5 * sd / np.sqrt(20_000))
        np.testing.assert_allclose(draws.std(0), sd, rtol=0.03)
    z = hvae.prior.sample(5, np.random.default_rng(2))
    top = hvae.prior.top.sample(5, np.random.default_rng(2))
    np.testing.assert_array_equal(z[:, hvae.latent_dim - hvae.z2_dim :], top)


def test_kl_between_gaussians_in_closed_form():
    rng = np.random.default_rng(0)
    m, lv, pm, plv = (rng.normal(size=(3, 5)).astype("float32") for _ in range(4))
    z = m + np.exp(0.5 * lv) * rng.standard_normal((200_000, 3, 5)).astype("float32")
    monte_carlo = np.mean(
        diagonal_log_prob(z, m, lv) - diagonal_log_prob(z, pm, plv), 0
    )
    np.testing.assert_allclose(diagonal_kl(m, lv, pm, plv), monte_carlo, rtol=0.02)


def test_free_bits_keep_each_layers_nats_out_of_the_loss(binary):
    x = tf.constant(binary[1][:100])
    keras.utils.set_random_seed(23)
    model = gdl_vae.build_hierarchical_vae(7, top_dim=3, free_bits=50.0, seed=0)
    t = model.loss_terms(x)
    assert float(t["kl_z1"]) < 200 and float(t["kl_z2"]) < 150
    # Both layers under their free nats (50 per dimension): the loss is the
    # reconstruction plus the free nats, a constant, so no gradient reaches
    # the KL terms.
    np.testing.assert_allclose(
        float(t["loss"]), float(t["reconstruction_loss"]) + 50.0 * 7, rtol=1e-6
    )
    model = gdl_vae.build_hierarchical_vae(7, top_dim=3, free_bits=0.001, seed=0)
    t = model.loss_terms(x)
    np.testing.assert_allclose(
        float(t["loss"]),
        float(t["reconstruction_loss"] + t["kl_z1"] + t["kl_z2"]),
        rtol=1e-6,
    )


def test_without_top_dim_z2_is_half_of_z():
    model = gdl_vae.build_hierarchical_vae(6, seed=0)
    assert (model.latent_dim, model.top_dim, model.z2_dim) == (6, None, 3)
    z1, z2 = model.split(np.zeros((2, 6), np.float32))
    assert z1.shape == (2, 3) and z2.shape == (2, 3)
    assert model.prior.top.latent_dim == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"architecture": "conv"}, "networks are dense"),
        ({"free_bits": 0.5, "k": 5}, "needs k=1"),
        ({"top_dim": 0}, "top_dim must be"),
        ({"latent_dim": 32, "top_dim": 32}, "top_dim must be below latent_dim"),
        ({"latent_dim": 1}, "latent_dim counts both layers"),
        ({"prior": "flat"}, "prior must be one of"),
        ({"decoder_sees": "z2"}, "decoder_sees must be one of"),
    ],
)
def test_bad_options_are_refused_before_a_model_exists(options, message):
    with pytest.raises(ValueError, match=message):
        gdl_vae.build_model("hvae", **options)


def test_a_trained_model_saves_loads_and_bounds_the_same(hvae, binary, tmp_path):
    hvae.save(tmp_path / "m.keras")
    loaded = gdl_vae.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(hvae)
    assert (loaded.top_dim, loaded.prior.name, loaded.n_pseudo_inputs) == (
        3,
        "vamp",
        10,
    )
    for a, b in zip(weights(hvae), weights(loaded), strict=True):
        np.testing.assert_array_equal(a, b)
    x = binary[1][:100]
    np.testing.assert_allclose(
        loaded.iwae_bound(x, k=20, seed=0), hvae.iwae_bound(x, k=20, seed=0), rtol=1e-6
    )
    np.testing.assert_array_equal(loaded.sample(5, seed=2), hvae.sample(5, seed=2))


def test_a_decoder_of_z1_alone_ignores_z2_and_saves_so(binary, tmp_path):
    """decoder_sees="z1": p(x|z1), z2 reaching the image only through z1."""
    model = gdl_vae.build_hierarchical_vae(7, top_dim=3, decoder_sees="z1", seed=0)
    model.fit(binary[0][:500], epochs=1, batch_size=100, verbose=0)
    z = model.latent_samples(6, seed=0)
    other = z.copy()
    other[:, 4:] = np.random.default_rng(0).standard_normal((6, 3))  # z2 redrawn
    np.testing.assert_array_equal(model.decode_mean(other), model.decode_mean(z))
    other[:, 0] += 1.0  # z1 moved
    assert np.abs(model.decode_mean(other) - model.decode_mean(z)).max() > 1e-4
    model.save(tmp_path / "m.keras")
    loaded = gdl_vae.load_model(tmp_path / "m.keras")
    assert loaded.decoder_sees == "z1"
    x = binary[1][:50]
    np.testing.assert_allclose(
        loaded.iwae_bound(x, k=5, seed=0), model.iwae_bound(x, k=5, seed=0), rtol=1e-6
    )
    # The default decoder is given both layers: there z2 changes the image.
    both = gdl_vae.build_hierarchical_vae(7, top_dim=3, seed=0)
    moved = z.copy()
    moved[:, 4:] += 1.0
    assert np.abs(both.decode_mean(moved) - both.decode_mean(z)).max() > 1e-4


def test_the_iwae_objective_is_the_bound(binary):
    keras.utils.set_random_seed(24)
    model = gdl_vae.build_hierarchical_vae(7, top_dim=3, k=8, seed=0)
    model.fit(binary[0][:1000], epochs=1, batch_size=100, verbose=0)
    x = binary[1]
    losses = [float(model.loss_terms(tf.constant(x))["loss"]) for _ in range(20)]
    bounds = [-model.iwae_bound(x, k=8, seed=s).mean() for s in range(5)]
    error = np.hypot(standard_error(losses), standard_error(bounds))
    assert abs(np.mean(losses) - np.mean(bounds)) < 4 * error
    assert error < 0.5  # a missing log k (2.08 nats) would show


def test_a_shipped_model_loads_only_with_the_weights_its_record_names(
    hvae, binary, tmp_path
):
    info = {"model": "hvae", "options": {"latent_dim": 7, "architecture": "dense",
            "top_dim": 3, "prior": "vamp", "n_pseudo_inputs": 10},
            "recipe": "small", "training": {"train_seconds": 60.0},
            "held_out": {"nll": 0.0, "k": 5000, "images": 10_000}}  # fmt: skip
    path = pretrained.save_pretrained(hvae, "small", info, tmp_path)
    assert pretrained.names(tmp_path) == ["small"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "small.json",
        "small.weights.h5",
    ]  # no partial file left
    loaded = pretrained.load_pretrained("small", tmp_path)
    x = binary[1][:100]
    np.testing.assert_allclose(
        loaded.iwae_bound(x, k=10, seed=0), hvae.iwae_bound(x, k=10, seed=0), rtol=1e-6
    )
    # The live check: the same images for the same seed, so two checks pair.
    check = pretrained.check("small", x, n_images=40, k=10, folder=tmp_path)
    assert check.estimate.n == 40 and 0 < check.estimate.se < 10
    assert len(set(check.images)) == 40 and check.images.max() < len(x)
    np.testing.assert_allclose(
        check.nll, -hvae.iwae_bound(x[check.images], k=10, seed=0), rtol=1e-5
    )
    again = pretrained.check("small", x, n_images=40, k=10, folder=tmp_path)
    np.testing.assert_array_equal(again.images, check.images)
    other = pretrained.check("small", x, n_images=40, k=10, seed=1, folder=tmp_path)
    assert not np.array_equal(other.images, check.images)
    # The committed 0 nats is far outside the estimate's error bar: said so.
    assert not check.agrees and "NOT within 2 standard errors" in str(check)
    info["held_out"]["nll"] = check.estimate.mean + check.estimate.se
    pretrained.save_pretrained(hvae, "small", info, tmp_path)
    close = pretrained.check("small", x, n_images=40, k=10, folder=tmp_path)
    assert close.agrees and ", within 2 standard errors" in str(close)
    assert str(close).startswith("small (small, trained 1 min): NLL here ")
    # A changed byte in the weights: refused, in one line, before loading.
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="differs from the weights"):
        pretrained.load_pretrained("small", tmp_path)
    with pytest.raises(ValueError, match="no shipped model 'large'; shipped: small"):
        pretrained.load_pretrained("large", tmp_path)


def test_the_package_ships_its_best_models_with_their_records():
    shipped = pretrained.names()
    assert set(shipped) <= {"one_layer", "two_layers"} and shipped
    for name in shipped:
        info = pretrained.record(name)
        assert info["held_out"]["k"] == 5000 and info["held_out"]["images"] == 10_000
        assert (
            pretrained.sha256(pretrained.WEIGHTS / f"{name}.weights.h5")
            == (info["sha256"])
        )
        json.dumps(info)
