"""gdl_vae.progress: one bar per long job, a few lines in a log."""

import keras
import numpy as np

import gdl_vae
from gdl_vae import progress


def test_a_bar_in_a_log_writes_a_few_lines_not_one_per_step(capsys, monkeypatch):
    monkeypatch.setenv("CI", "true")
    seen = list(progress.track(range(5000), "work"))
    assert seen == list(range(5000))
    err = capsys.readouterr().err
    assert "\r" not in err  # a line per state, as a log or a pipe shows it
    states = err.strip().splitlines()
    assert 1 <= len(states) <= 3, states  # the start and the end
    assert "5000/5000" in states[-1] and states[-1].startswith("work: 100%")


def test_keras_progress_counts_every_step_with_steps_per_execution(binary, capsys):
    x = binary[0][:1000]  # 8 batches of 128, the last one short
    for steps in (1, 3, 32):
        keras.utils.set_random_seed(0)
        model = gdl_vae.build_vae(2, "dense", steps_per_execution=steps)
        with progress.bar(None, "training", unit="step") as bar:
            gdl_vae.train(
                model, x, epochs=2, callbacks=[progress.KerasProgress(bar, "VAE")]
            )
            assert bar.n == 2 * 8, steps


def test_a_large_bound_shows_its_progress_and_a_small_one_does_not(binary, capsys):
    keras.utils.set_random_seed(0)
    model = gdl_vae.build_vae(2, "dense", seed=0)
    x = binary[1][:100]
    model.iwae_bound(x, k=10)  # 1,000 decoder passes
    assert "bound" not in capsys.readouterr().err
    bounds = model.iwae_bound(x, k=4000)  # 400,000
    assert np.all(np.isfinite(bounds))
    assert "bound, k = 4,000: 100%" in capsys.readouterr().err
