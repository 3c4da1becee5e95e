"""Callbacks: NaN stop, epoch clock and progress log, KL warm-up, best epoch."""

import keras
import numpy as np
import pytest

import gdl_vae


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


def test_kl_warmup_raises_beta_linearly_at_every_step(binary):
    """A ramp, not a step: beta read at several steps of training lies on the
    line from 0 to the target over the warm-up, then stays at the target."""
    warmup = gdl_vae.KLWarmup(epochs=1.5, target=2.0)
    assert [warmup.beta_at(e) for e in (0, 0.75, 1.5, 3)] == [0.0, 1.0, 2.0, 2.0]
    seen = []  # (step, beta during that step)

    class Record(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            seen.append((self.epoch * 4 + batch, float(self.model.beta.numpy())))

    def ramp(steps_per_execution):
        seen.clear()
        vae = gdl_vae.build_vae(
            2, "dense", seed=0, steps_per_execution=steps_per_execution
        )
        history = vae.fit(  # 4 steps an epoch: the warm-up is 6 steps
            binary[0][:256], batch_size=64, epochs=3, callbacks=[warmup, Record()],
            verbose=0,
        )  # fmt: skip
        return history.history["beta"]

    assert ramp(1) == [2.0 * 3 / 6, 2.0, 2.0]  # beta in each epoch's last step
    assert [step for step, _ in seen] == list(range(12))
    expected = [2.0 * min(1.0, step / 6) for step in range(12)]
    np.testing.assert_allclose([beta for _, beta in seen], expected, atol=1e-6)
    assert len({beta for _, beta in seen[:7]}) == 7  # a new beta at every step
    # Two steps per call into the graph: beta rises every second step, on the
    # same line.
    ramp(2)
    assert [step for step, _ in seen] == list(range(0, 12, 2))
    np.testing.assert_allclose([b for _, b in seen], expected[::2], atol=1e-6)
    with pytest.raises(ValueError, match="epochs must be above 0"):
        gdl_vae.KLWarmup(0)


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
