"""Callbacks: NaN stop, epoch clock and progress log, KL warm-up, best epoch."""

from types import SimpleNamespace

import keras
import numpy as np
import pytest

import gdl_vae
from gdl_vae.callbacks import KeepBest


def test_progress_log_prints_every_few_epochs_and_the_last(binary, capsys):
    keras.utils.set_random_seed(0)
    ae = gdl_vae.build_autoencoder(latent_dim=2, architecture="dense")
    ae.fit(
        binary[0][:200], epochs=5, batch_size=100, verbose=0,
        callbacks=[gdl_vae.ProgressLog(every=2)],
    )  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "epoch 2/5",
        "epoch 4/5",
        "epoch 5/5",
    ]
    assert "reconstruction_loss" in lines[0] and lines[0].endswith("s/epoch)")
    with pytest.raises(ValueError):
        gdl_vae.ProgressLog(every=0)


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


def test_keep_best_restores_the_weights_of_the_best_validation_epoch():
    losses = iter([3.0, 1.0, 2.0, 1.5])
    snapshots = iter(["after 1", "after 2", "after 3", "after 4"])
    restored = []
    model = SimpleNamespace(
        evaluate=lambda *a, **k: [next(losses)],
        get_weights=lambda: next(snapshots),
        set_weights=restored.append,
    )
    keep = KeepBest(np.zeros((4, 28, 28, 1), "float32"))
    keep.set_model(model)
    keep.on_train_begin()
    for epoch in range(4):
        keep.on_epoch_end(epoch)
    keep.on_train_end()
    assert restored == ["after 2"] and keep.best_epoch == 2


def test_epoch_clock_times_epochs_and_counts_images(binary):
    clock = gdl_vae.EpochClock(n_images=300, batch_size=128)
    ae = gdl_vae.build_autoencoder(2, "dense", steps_per_execution=1)
    ae.fit(binary[0][:300], batch_size=128, epochs=3, callbacks=[clock], verbose=0)
    assert len(clock.epoch_times) == 3 and clock.images == 900
    assert clock.seconds >= sum(clock.epoch_times) > 0
    assert clock.seconds_per_epoch == pytest.approx(np.median(clock.epoch_times[1:]))


def test_epoch_clock_stops_training_when_its_budget_is_spent(binary):
    clock = gdl_vae.EpochClock(budget_s=0.5)
    ae = gdl_vae.build_autoencoder(2, "dense", steps_per_execution=1)
    ae.fit(binary[0][:512], batch_size=16, epochs=10_000, callbacks=[clock], verbose=0)
    assert 0.5 <= clock.seconds < 0.5 + 20 and len(clock.epoch_times) < 10_000
