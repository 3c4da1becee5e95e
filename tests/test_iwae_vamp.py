"""IWAE training (k samples per image) and the VampPrior: their objectives against
the bounds and the mixture computed by hand, sampling, saving and resuming."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import gdl_vae
from gdl_vae.callbacks import TimeDecay


def weights(model) -> list[np.ndarray]:
    return [np.array(w) for w in model.get_weights()]


@pytest.fixture(scope="module")
def vamp_vae(binary):
    """A VampPrior VAE trained briefly on IWAE with k = 3."""
    keras.utils.set_random_seed(11)
    vae = gdl_vae.build_vae(4, "dense", prior="vamp", n_pseudo_inputs=20, k=3, seed=0)
    vae.fit(binary[0], epochs=2, batch_size=100, verbose=0)
    return vae


def test_the_k_equal_one_objective_is_the_elbo(binary):
    """With one sample the importance-weighted loss is reconstruction + KL, the
    KL estimated from that sample; it estimates the analytic-KL ELBO."""
    keras.utils.set_random_seed(12)
    vae = gdl_vae.build_vae(3, "dense", seed=0)
    vae.fit(binary[0][:1000], epochs=1, batch_size=100, verbose=0)
    x = tf.constant(binary[1])
    z_mean, z_log_var = vae.posterior_parameters(x)
    state = vae.sampling.seed_generator.state.numpy()
    analytic = vae.loss_terms(x)
    vae.sampling.seed_generator.state.assign(state)  # the same eps
    sampled = vae._sampled_loss_terms(x, z_mean, z_log_var, training=False)
    # The same z, so the same reconstruction term ...
    np.testing.assert_allclose(
        float(sampled["reconstruction_loss"]),
        float(analytic["reconstruction_loss"]),
        rtol=1e-6,
    )
    # ... the loss is exactly reconstruction + KL estimate ...
    np.testing.assert_allclose(
        float(sampled["loss"]),
        float(sampled["reconstruction_loss"] + sampled["kl_loss"]),
        rtol=1e-6,
    )
    # ... and the KL estimate is unbiased: over many draws it is the closed form.
    estimates = [
        float(vae._sampled_loss_terms(x, z_mean, z_log_var, False)["kl_loss"])
        for _ in range(50)
    ]
    closed = float(analytic["kl_loss"])
    assert closed > 1.0
    assert abs(np.mean(estimates) - closed) < 4 * np.std(estimates) / np.sqrt(50)


def test_the_iwae_objective_is_the_importance_weighted_bound(binary):
    keras.utils.set_random_seed(13)
    vae = gdl_vae.build_vae(3, "dense", seed=0, k=8)
    vae.fit(binary[0][:1000], epochs=1, batch_size=100, verbose=0)
    x = binary[1]
    losses = [float(vae.loss_terms(tf.constant(x))["loss"]) for _ in range(10)]
    bound = -vae.iwae_bound(x, k=8, seed=0)
    # The training loss and the evaluation bound estimate the same number ...
    assert np.mean(losses) == pytest.approx(bound.mean(), abs=0.3)
    # ... which is tighter than the ELBO by more than that tolerance.
    assert -vae.elbo(x, n_samples=20, seed=0).mean() - bound.mean() > 1.0


def test_vamp_prior_log_density_is_the_mixture_of_posteriors(vamp_vae):
    means, log_vars = (t.numpy().astype(np.float64) for t in vamp_vae.encoder(
        vamp_vae.pseudo_images()
    ))  # fmt: skip
    z = np.random.default_rng(0).normal(size=(7, 5, 4)) * 1.5
    # log (1/K) sum_k prod_d N(z_d; mu_kd, sigma_kd^2), in float64
    diff = z[..., None, :] - means
    log_components = -0.5 * np.sum(
        diff**2 / np.exp(log_vars) + log_vars + np.log(2 * np.pi), axis=-1
    )
    direct = np.logaddexp.reduce(log_components, axis=-1) - np.log(20)
    assert direct.shape == (7, 5)
    z32 = tf.constant(z, tf.float32)
    np.testing.assert_allclose(vamp_vae.prior.log_prob(z32).numpy(), direct, atol=2e-3)
    np.testing.assert_allclose(
        vamp_vae.prior().log_prob(z32).numpy(), direct, atol=2e-3
    )
    # Not N(0, I): the pseudo-inputs' posteriors are narrow and off the origin.
    normal = -0.5 * np.sum(z**2 + np.log(2 * np.pi), axis=-1)
    assert np.abs(direct - normal).mean() > 1.0


def test_vamp_samples_come_from_the_mixture(vamp_vae):
    z = vamp_vae.latent_samples(20_000, seed=0)
    np.testing.assert_array_equal(z, vamp_vae.latent_samples(20_000, seed=0))
    means, log_vars = (t.numpy() for t in vamp_vae.encoder(vamp_vae.pseudo_images()))
    # Mixture moments: E[z] = mean of the means; Var = E[var + mean^2] - E[z]^2.
    mixture_mean = means.mean(axis=0)
    mixture_var = (np.exp(log_vars) + means**2).mean(axis=0) - mixture_mean**2
    np.testing.assert_allclose(
        z.mean(axis=0), mixture_mean, atol=4 * np.sqrt(mixture_var.max() / 20_000)
    )
    np.testing.assert_allclose(z.var(axis=0), mixture_var, rtol=0.05)
    assert vamp_vae.sample(3, seed=0).shape == (3, 28, 28, 1)


def test_vamp_bounds_bracket_each_other(vamp_vae, binary):
    x = binary[1][:200]
    elbo = vamp_vae.elbo(x, n_samples=50, seed=0)
    iwae = vamp_vae.iwae_bound(x, k=200, seed=0)
    assert np.all(np.isfinite(elbo)) and np.all(np.isfinite(iwae))
    assert 0.5 < (iwae - elbo).mean() < 30  # the bound tightens, by a sane amount


def test_vamp_iwae_vae_saves_loads_and_resumes(vamp_vae, binary, tmp_path):
    x = binary[0][:600]
    vamp_vae.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert (loaded.prior.name, loaded.n_pseudo_inputs, loaded.k) == ("vamp", 20, 3)
    np.testing.assert_array_equal(loaded.pseudo_images(), vamp_vae.pseudo_images())
    z = vamp_vae.latent_samples(50, seed=1)
    np.testing.assert_array_equal(loaded.latent_samples(50, seed=1), z)
    np.testing.assert_allclose(
        loaded.elbo(binary[1][:100], 5, seed=0),
        vamp_vae.elbo(binary[1][:100], 5, seed=0),
        rtol=1e-6,
    )
    before = np.array(loaded.pseudo_inputs)
    for model in (vamp_vae, loaded):
        model.fit(x, epochs=1, batch_size=100, shuffle=False, verbose=0)
    for a, b in zip(weights(vamp_vae), weights(loaded), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    # The pseudo-inputs are learned: training moved them.
    assert np.abs(np.array(loaded.pseudo_inputs) - before).max() > 1e-4


def encoder_gradients(vae, x, dreg: bool):
    """A traced step: one estimate of the IWAE loss's gradient for the encoder
    (from DReG's surrogate when dreg) and for the decoder, each flattened."""

    @tf.function
    def step():
        vae.dreg = dreg  # read when the step is traced
        with tf.GradientTape(persistent=True) as tape:
            terms = vae.loss_terms(x, training=True)
        encoder_loss = terms["encoder_loss"] if dreg else terms["loss"]
        flat = [terms["loss"]]
        for loss, net in ((encoder_loss, vae.encoder), (terms["loss"], vae.decoder)):
            grads = tape.gradient(loss, net.trainable_weights)
            flat.append(tf.concat([tf.reshape(g, [-1]) for g in grads], 0))
        return flat

    return step


@pytest.fixture(scope="module")
def dreg_vae(binary):
    keras.utils.set_random_seed(14)
    vae = gdl_vae.build_vae(3, "dense", seed=0, k=64, dreg=True)
    vae.fit(binary[0][:1000], epochs=2, batch_size=100, verbose=0)
    return vae


def test_dreg_changes_only_the_encoder_gradient(dreg_vae, binary):
    x = tf.constant(binary[1][:20])
    steps = {dreg: encoder_gradients(dreg_vae, x, dreg) for dreg in (True, False)}
    state = dreg_vae.sampling.seed_generator.state.numpy()
    out = {}
    for dreg, step in steps.items():
        dreg_vae.sampling.seed_generator.state.assign(state)  # the same eps
        out[dreg] = [t.numpy() for t in step()]
    dreg_vae.dreg = True
    # The same loss and the same decoder gradient ...
    np.testing.assert_allclose(out[True][0], out[False][0], rtol=1e-6)
    np.testing.assert_allclose(out[True][2], out[False][2], rtol=1e-4, atol=1e-7)
    # ... but another estimate for the encoder.
    assert np.abs(out[True][1] - out[False][1]).max() > 1e-3


def test_dreg_is_unbiased_and_less_noisy_for_the_encoder(dreg_vae, binary):
    """Over 300 draws, DReG's and the plain IWAE gradient's means agree within
    the Monte-Carlo error on the encoder's output biases, and DReG's variance
    summed over all encoder weights is about half the plain one's at k = 64
    (0.48 measured; the gap grows with k, Tucker et al. 2019)."""
    x = tf.constant(binary[1][:20])
    n = 300
    names = [w.path for w in dreg_vae.encoder.trainable_weights]
    sizes = [int(np.prod(w.shape)) for w in dreg_vae.encoder.trainable_weights]
    ends = np.cumsum(sizes)
    biases = np.concatenate(
        [np.arange(e - s, e) for n_, s, e in zip(names, sizes, ends, strict=True)
         if n_ in ("z_mean/bias", "z_log_var/bias")]
    )  # fmt: skip
    stats = {}
    for dreg in (True, False):
        step = encoder_gradients(dreg_vae, x, dreg)
        total, squares, picked = 0.0, 0.0, []
        for _ in range(n):
            g = step()[1].numpy().astype(np.float64)
            total, squares = total + g, squares + g**2
            picked.append(g[biases])
        variance = (squares / n - (total / n) ** 2).sum()
        stats[dreg] = (np.array(picked), variance)
    dreg_vae.dreg = True
    a, b = stats[True][0], stats[False][0]
    error = np.sqrt((a.var(0) + b.var(0)) / n)
    assert np.all(np.abs(a.mean(0) - b.mean(0)) < 4.5 * error)
    assert np.abs(b.mean(0)).max() > 3 * error.max()  # a gradient, not noise
    assert stats[True][1] < 0.7 * stats[False][1]


def test_dreg_trains_saves_and_resumes(dreg_vae, binary, tmp_path):
    x = binary[0][:600]
    dreg_vae.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert (loaded.dreg, loaded.k) == (True, 64)
    before = [np.array(w) for w in loaded.trainable_weights]
    for model in (dreg_vae, loaded):
        model.fit(x, epochs=1, batch_size=100, shuffle=False, verbose=0)
    for a, b in zip(weights(dreg_vae), weights(loaded), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
    after = loaded.trainable_weights
    moved = [np.abs(a - b).max() for a, b in zip(after, before, strict=True)]
    assert min(moved) > 1e-4  # every layer of the encoder and the decoder learns


def test_bad_prior_and_k_raise():
    with pytest.raises(ValueError, match="prior must be one of"):
        gdl_vae.build_vae(2, "dense", prior="gaussian")
    with pytest.raises(ValueError, match="k must be a whole number"):
        gdl_vae.build_vae(2, "dense", k=0)
    with pytest.raises(ValueError, match="needs prior='normal' and k=1"):
        gdl_vae.build_vae(2, "dense", prior="vamp", kl_term="mean")
    with pytest.raises(ValueError, match="no pseudo-inputs"):
        gdl_vae.build_vae(2, "dense").pseudo_images()
    for bad in ({"k": 1}, {"k": 5, "prior": "vamp"}):
        with pytest.raises(ValueError, match="dreg=True needs k > 1"):
            gdl_vae.build_vae(2, "dense", dreg=True, **bad)


def test_time_decay_follows_the_clock():
    decay = TimeDecay(100.0, final=0.1)
    assert decay.factor_at(0) == 1.0
    assert decay.factor_at(50) == pytest.approx(0.1**0.5)
    assert decay.factor_at(100) == pytest.approx(0.1)
    assert decay.factor_at(500) == pytest.approx(0.1)  # held after the budget
    with pytest.raises(ValueError):
        TimeDecay(100.0, final=0.0)


def test_time_decay_sets_the_optimizer_learning_rate(binary):
    keras.utils.set_random_seed(14)
    vae = gdl_vae.build_vae(2, "dense", learning_rate=1e-3)
    decay = TimeDecay(1e-9, final=0.25)  # spent at once: the final rate
    history = vae.fit(
        binary[0][:300], epochs=2, batch_size=100, callbacks=[decay], verbose=0
    )
    assert history.history["learning_rate"] == pytest.approx([2.5e-4, 2.5e-4])


# -- a new prior, defined here -----------------------------------------------


@pytest.fixture
def mixture_prior():
    """A mixture of 10 unit Gaussians whose means are learned, registered as
    prior="mixture" by one class."""
    from gdl_vae.models import configs, priors

    tfd = priors.tfd

    @priors.register("mixture")
    class MixturePrior(priors.Prior):
        def __init__(self, vae) -> None:
            super().__init__(vae)
            self.means = vae.add_weight(
                shape=(10, self.latent_dim),
                initializer=keras.initializers.RandomNormal(stddev=2.0),
                name="mixture_means",
            )

        def __call__(self):
            return tfd.MixtureSameFamily(
                tfd.Categorical(logits=tf.zeros(10)),
                tfd.MultivariateNormalDiag(loc=self.means),
            )

        def sample(self, n, rng):
            eps = rng.standard_normal((n, self.latent_dim)).astype(np.float32)
            return np.array(self.means)[rng.integers(10, size=n)] + eps

    yield MixturePrior
    del priors.PRIORS["mixture"]
    configs.PRIORS.remove("mixture")


def test_a_prior_added_by_one_class_trains_samples_saves_and_loads(
    mixture_prior, binary, tmp_path
):
    keras.utils.set_random_seed(5)
    vae = gdl_vae.build_vae(2, "dense", prior="mixture", seed=0)
    assert isinstance(vae.prior, mixture_prior) and not vae.analytic_kl
    before = np.array(vae.prior.means)
    history = vae.fit(binary[0][:1000], epochs=2, batch_size=100, verbose=0).history
    assert np.all(np.isfinite(history["loss"])) and history["kl_loss"][-1] > 0
    assert np.abs(np.array(vae.prior.means) - before).max() > 1e-4  # learned
    z = vae.latent_samples(500, seed=0)
    assert z.shape == (500, 2) and vae.sample(4, seed=0).shape == (4, 28, 28, 1)
    x = binary[1][:100]
    elbo = vae.elbo(x, n_samples=20, seed=0).mean()  # the KL estimated: no closed form
    assert elbo < vae.iwae_bound(x, k=20, seed=0).mean() < 0
    vae.save(tmp_path / "m.keras")
    loaded = gdl_vae.load_model(tmp_path / "m.keras")
    assert loaded.get_config()["prior"] == "mixture"
    np.testing.assert_array_equal(np.array(loaded.prior.means), vae.prior.means)
    np.testing.assert_array_equal(loaded.latent_samples(500, seed=0), z)


def test_a_run_folders_samples_name_the_prior_they_come_from(vamp_vae):
    from gdl_vae import runs

    figure = runs.sample_figure(vamp_vae, 4, 0, None)
    assert figure._suptitle.get_text() == "new images: z ~ the VampPrior"
    normal = gdl_vae.build_vae(2, "dense")
    figure = runs.sample_figure(normal, 4, 0, None)
    assert figure._suptitle.get_text() == "new images: z ~ N(0, I)"
