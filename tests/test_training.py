"""The one training loop: epochs, images seen or a time budget; same updates as fit."""

import keras
import numpy as np
import pytest

import gdl_vae
from gdl_vae.training import _optimizer_variables, epochs_for, train


def test_train_takes_the_same_steps_as_fit_on_the_same_pipeline(mnist):
    x = mnist.x_train[:512]

    def weights(model):
        return [np.array(w) for w in model.get_weights()]

    keras.utils.set_random_seed(0)
    by_fit = gdl_vae.build_vae(2, "dense", seed=0)
    data = gdl_vae.data.EpochData(x, 128, "dynamic", seed=0)
    by_fit.fit(data.dataset, epochs=2, callbacks=[data], verbose=0)
    keras.utils.set_random_seed(0)
    trained = train(gdl_vae.build_vae(2, "dense", seed=0), x, epochs=2, seed=0)
    for a, b in zip(weights(by_fit), weights(trained.model), strict=True):
        np.testing.assert_array_equal(a, b)
    assert trained.epochs == 2 and trained.images == 1024
    assert len(trained.history["loss"]) == 2 and trained.seconds > 0


def test_images_seen_is_a_budget_in_whole_epochs(mnist):
    assert epochs_for(10_000, 4_000) == 2 and epochs_for(100, 4_000) == 1
    trained = train(
        gdl_vae.build_autoencoder(2, "dense"), mnist.x_train[:256], images_seen=768
    )
    assert trained.epochs == 3 and trained.images == 768


def test_a_time_budget_stops_training_mid_epoch(mnist):
    trained = train(
        gdl_vae.build_vae(2, "dense", seed=0, steps_per_execution=1),
        mnist.x_train[:4096],
        budget_s=1.0,
        batch_size=32,
    )
    assert 1.0 <= trained.seconds < 1.0 + 20  # one more step, and tracing
    assert 0 < trained.images < 100_000 * 4096


def test_train_needs_one_way_to_stop(mnist):
    model = gdl_vae.build_autoencoder(2, "dense")
    with pytest.raises(ValueError, match="epochs, images_seen or budget_s"):
        train(model, mnist.x_train[:64])
    with pytest.raises(ValueError, match="not both"):
        train(model, mnist.x_train[:64], epochs=1, images_seen=64)


def _state(model) -> list[np.ndarray]:
    variables = [*model.variables, *_optimizer_variables(model)]
    return [np.array(keras.ops.convert_to_numpy(v)) for v in variables]


@pytest.mark.parametrize(
    "build",
    [
        lambda seed: gdl_vae.build_vae(2, "dense", seed=seed),
        lambda seed: gdl_vae.build_acai(2, "dense", seed=seed),
    ],
    ids=["vae", "acai"],
)
def test_a_trainer_takes_the_steps_the_model_would_take_alone(mnist, build):
    x = mnist.x_train[:640]
    keras.utils.set_random_seed(1)
    alone = train(build(1), x, epochs=2, seed=1)
    keras.utils.set_random_seed(0)
    trainer = build(0)
    train(trainer, x, epochs=1, seed=0)  # traced, and left in another state
    keras.utils.set_random_seed(1)
    model = build(1)
    shared = train(model, x, epochs=2, seed=1, trainer=trainer)
    assert shared.model is model and shared.history == alone.history
    for a, b in zip(_state(alone.model), _state(model), strict=True):
        np.testing.assert_array_equal(a, b)
    # The trainer's compiled step was reused, not traced again.
    assert trainer.train_function is not None and model.train_function is None


def test_a_trainer_of_another_recipe_is_refused_before_training(mnist):
    model = gdl_vae.build_vae(2, "dense", seed=0)
    before = _state(model)
    for other in (
        gdl_vae.build_vae(2, "dense", beta=2.0),
        gdl_vae.build_vae(4, "dense"),
        gdl_vae.build_vae(2, "dense", learning_rate=3e-3),
        gdl_vae.build_autoencoder(2, "dense"),
    ):
        with pytest.raises(ValueError, match="trainer cannot train this model"):
            train(model, mnist.x_train[:64], epochs=1, trainer=other)
    for a, b in zip(before, _state(model), strict=True):
        np.testing.assert_array_equal(a, b)
