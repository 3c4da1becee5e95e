"""gdl_vae.cache: a trained model is reused only for the same recipe."""

import os

import keras
import numpy as np
import pytest

import gdl_vae
from gdl_vae.callbacks import GapTracker, KLWarmup


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GDL_VAE_CACHE", str(tmp_path / "models"))
    return tmp_path / "models"


def fit(x, seed=0, callbacks=(), **options):
    keras.utils.set_random_seed(seed)
    model = gdl_vae.build_vae(2, "dense", seed=seed, **options)
    return gdl_vae.train(
        model, x, epochs=1, seed=seed, callbacks=list(callbacks), cache=True
    )


def weights(model):
    return [np.asarray(w) for w in model.get_weights()]


def test_the_same_recipe_loads_the_trained_weights(binary, cache_dir):
    x = binary[0][:512]
    first = fit(x)
    assert not first.cached
    assert len(list(cache_dir.iterdir())) == 1
    again = fit(x)
    assert again.cached
    assert again.history == first.history
    assert again.seconds == first.seconds
    steps = first.model.optimizer.iterations
    assert int(again.model.optimizer.iterations) == int(steps) > 0  # Adam's state too
    for a, b in zip(weights(first.model), weights(again.model), strict=True):
        np.testing.assert_array_equal(a, b)
    held = binary[1][:64]
    np.testing.assert_allclose(
        first.model.elbo(held, seed=0), again.model.elbo(held, seed=0), rtol=1e-6
    )


@pytest.mark.parametrize(
    "change",
    [
        {"seed": 1},  # other initial weights and batches
        {"beta": 0.5},  # an option
        {"learning_rate": 3e-4},  # the optimizer
        {"images": 256},  # other training images
        {"callbacks": [KLWarmup(0.5)]},  # a callback that changes training
    ],
    ids=lambda c: next(iter(c)),
)
def test_any_change_of_recipe_trains_afresh(binary, cache_dir, change):
    x = binary[0][:512]
    fit(x)
    change = dict(change)
    images = change.pop("images", None)
    run = fit(binary[0][images : images + 512] if images else x, **change)
    assert not run.cached
    assert len(list(cache_dir.iterdir())) == 2


def test_a_recording_callback_or_a_time_budget_turns_the_cache_off(binary, cache_dir):
    x, held = binary[0][:512], binary[1][:64]
    for _ in range(2):  # the tracker must see training happen both times
        tracker = GapTracker(x[:64], held)
        run = fit(x, callbacks=[tracker])
        assert not run.cached and tracker.curve
    keras.utils.set_random_seed(0)
    model = gdl_vae.build_vae(2, "dense", seed=0)
    gdl_vae.train(model, x, budget_s=60, epochs=1, seed=0, cache=True)
    assert not cache_dir.exists()


def test_off_and_a_failed_write_leave_no_entry(binary, cache_dir, monkeypatch):
    x = binary[0][:512]
    monkeypatch.setenv("GDL_VAE_CACHE", "off")
    assert not fit(x).cached and not fit(x).cached
    assert not cache_dir.exists()
    monkeypatch.setenv("GDL_VAE_CACHE", str(cache_dir))

    def full_disk(self, path):
        with open(path, "wb") as f:
            f.write(b"half")
        raise OSError("No space left on device")

    monkeypatch.setattr(keras.Model, "save_weights", full_disk)
    fit(x)
    assert os.listdir(cache_dir) == []  # the partial folder is gone
    monkeypatch.undo()
    monkeypatch.setenv("GDL_VAE_CACHE", str(cache_dir))
    assert not fit(x).cached and fit(x).cached


def test_a_damaged_entry_is_trained_afresh(binary, cache_dir):
    x = binary[0][:512]
    fit(x)
    (entry,) = cache_dir.iterdir()
    (entry / "model.weights.h5").write_bytes(b"not a weights file")
    assert not fit(x).cached


def test_the_sweep_reports_what_it_reused(binary, cache_dir, capsys):
    from gdl_vae import sweep

    x = binary[0][:512]
    builders = {"VAE": lambda seed: gdl_vae.build_vae(2, "dense", seed=seed)}
    first = sweep.train_over_seeds(builders, x, 512, seeds=(0, 1))
    capsys.readouterr()
    again = sweep.train_over_seeds(builders, x, 512, seeds=(0, 1))
    assert "2 from the cache" in capsys.readouterr().out
    for a, b in zip(first["VAE"], again["VAE"], strict=True):
        assert a.history == b.history and b.cached
