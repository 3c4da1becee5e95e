"""LatentModel: the contract every model keeps."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import gdl_vae
from gdl_vae.models.base import batched


def weights(model) -> list[np.ndarray]:
    return [np.array(w) for w in model.get_weights()]


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


def test_codes_and_decode_mean_agree_for_both_models(trained_vae, binary):
    x = binary[1][:10]
    q = trained_vae.encode(x)
    np.testing.assert_allclose(trained_vae.codes(x), q.mean().numpy())
    z = trained_vae.codes(x)
    np.testing.assert_allclose(
        trained_vae.decode_mean(z), trained_vae.decode(z).mean().numpy(), atol=1e-6
    )
    np.testing.assert_allclose(trained_vae.reconstruct(x), trained_vae.decode_mean(z))
    ae = gdl_vae.build_autoencoder(latent_dim=2, architecture="dense")
    np.testing.assert_array_equal(ae.codes(x), ae.encode(x))
    np.testing.assert_array_equal(ae.decode_mean(ae.codes(x)), ae.reconstruct(x))


def test_capabilities_say_what_each_model_can_do():
    vae = gdl_vae.build_vae(2, "dense")
    ae = gdl_vae.build_autoencoder(2, "dense")
    acai = gdl_vae.build_acai(2, "dense")
    assert vae.has_prior and vae.has_bound
    assert not (ae.has_prior or ae.has_bound or acai.has_prior or acai.has_bound)


def test_latent_samples_come_from_the_prior_or_the_codes_gaussian(binary):
    vae = gdl_vae.build_vae(3, "dense")
    z = vae.latent_samples(20_000, seed=0)
    assert z.shape == (20_000, 3) and z.dtype == np.float32
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=0.03)
    np.testing.assert_allclose(np.cov(z, rowvar=False), np.eye(3), atol=0.03)
    np.testing.assert_array_equal(
        vae.sample(5, seed=1), vae.decode_mean(vae.latent_samples(5, seed=1))
    )

    ae = gdl_vae.build_autoencoder(3, "dense")
    with pytest.raises(ValueError, match="has no prior: give codes="):
        ae.latent_samples(10)
    codes = np.random.default_rng(0).normal(
        [5.0, -2.0, 0.0], [3.0, 1.0, 0.5], (5000, 3)
    )
    z = ae.latent_samples(20_000, seed=0, codes=codes)
    np.testing.assert_allclose(z.mean(axis=0), codes.mean(axis=0), atol=0.1)
    np.testing.assert_allclose(z.std(axis=0), codes.std(axis=0), rtol=0.03)
    with pytest.raises(ValueError, match="n must be a whole number"):
        vae.latent_samples(0)


def test_traced_functions_are_compiled_once_per_model():
    vae = gdl_vae.build_vae(2, "dense")

    def double(model, x):
        return 2 * x

    first = vae.traced(double)
    assert vae.traced(double) is first
    assert gdl_vae.build_vae(2, "dense").traced(double) is not first
    assert float(first(tf.constant(1.5))) == 3.0


def test_batched_applies_a_function_in_slices_and_joins_tuples():
    x = np.arange(10, dtype="float32")[:, None]
    one = batched(lambda part: part * 2, x, batch_size=3)
    np.testing.assert_array_equal(one, x * 2)
    pair = batched(lambda part: (part, -part), x, batch_size=4)
    np.testing.assert_array_equal(pair[1], -x)


ENTRY_POINTS = {
    "fit": lambda model, x: model.fit(x, epochs=1, verbose=0),
    "encode": lambda model, x: model.encode(x),
    "codes": lambda model, x: model.codes(x),
    "elbo": lambda model, x: model.elbo(x),
    "iwae_bound": lambda model, x: model.iwae_bound(x, k=2),
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize(
    "make, said",
    [
        (lambda x: x[:0], r"x holds no images \(shape \(0, 28, 28, 1\)\)\. Fix: pass"),
        (lambda x: list(x[:3]), r"got a Python list of 3\. Fix: x = np\.stack\(x\)"),
        (lambda x: x[0], r"got shape \(28, 28, 1\)\. Fix: add a batch axis: x\[None\]"),
    ],
    ids=["empty", "list", "one image"],
)
def test_every_entry_point_refuses_bad_images_alike(entry, make, said, binary):
    vae = gdl_vae.build_vae(2, "dense")
    with pytest.raises(ValueError, match=said):
        ENTRY_POINTS[entry](vae, make(binary[0][:8]))
