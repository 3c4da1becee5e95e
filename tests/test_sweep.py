"""The sweep: train several models alike and measure each the same way."""

import numpy as np
import pytest

import gdl_vae
from gdl_vae import sweep
from gdl_vae.measure import metrics


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
    reference = metrics.Reference(gdl_vae.load_digit_classifier(), x_test[:100])
    rows = sweep.measure(models, x_train, x_test, reference, n_samples=100, n_paths=20)
    ae, vae = rows
    assert ae["model"] == "AE" and "kl" not in ae and "neg_elbo" not in ae
    assert "gap" not in ae and "sigma" not in ae and "prior_holes" not in ae
    assert vae["neg_elbo"] == pytest.approx(vae["reconstruction"] + vae["kl"])
    assert 0 < vae["sigma"] < 10 and 0 <= vae["prior_holes"] <= 1
    assert np.isfinite(vae["gap"])
    for row in rows:
        for key in (
            "reconstruction_gap", "largest_step_share", "path_ratio",
            "direction_change", "fd",
        ):  # fmt: skip
            assert np.isfinite(row[key]), key
        for key in ("precision", "recall", "recognised"):
            assert 0 <= row[key] <= 1
        assert 0 <= row["nearer_train"] <= 1
        assert 1 <= row["active_units"] <= 3
    text = sweep.table(rows, {"model": "model", "reconstruction": "rec", "kl": "KL"})
    lines = text.splitlines()
    assert lines[0].split() == ["model", "rec", "KL"]
    assert lines[1].split() == ["AE", f"{ae['reconstruction']:.2f}", "-"]
    assert f"{vae['kl']:.2f}" in lines[2]
    with pytest.raises(ValueError, match="builders is empty"):
        sweep.train_models({}, x_train, 100)


def test_over_seeds_every_number_gets_its_error_bar_and_overfitting_shows(mnist):
    """Two seeds, two models: one row per model, each number mean ± se; the
    gap tracker sees a small training set's held-out loss pull away."""
    from gdl_vae.callbacks import GapTracker
    from gdl_vae.data.pipeline import held_out_images
    from gdl_vae.measure import stats

    x_train, x_test = mnist.x_train[:100], mnist.x_test[:100]
    seen = held_out_images(x_train, "dynamic", seed=0)
    held = held_out_images(x_test, "dynamic", seed=0)
    trackers = {}

    def callbacks(name, seed):
        trackers[name, seed] = GapTracker(seen, held, every=2)
        return [trackers[name, seed]]

    # Each epoch shows the 100 images ten times: 6 epochs are 60 passes.
    runs = sweep.train_over_seeds(
        {
            "AE": lambda seed: gdl_vae.build_autoencoder(3, "dense", seed=seed),
            "VAE": lambda seed: gdl_vae.build_vae(3, "dense", seed=seed),
        },
        np.tile(x_train, (10, 1, 1, 1)), images_seen=100 * 60, seeds=(0, 1),
        callbacks=callbacks,
    )  # fmt: skip
    assert [len(group) for group in runs.values()] == [2, 2]
    assert runs["AE"][0].model is not runs["AE"][1].model
    ae_curve = trackers["AE", 0].curve
    assert [point["epoch"] for point in ae_curve] == [2, 4, 6]
    assert "gap" not in ae_curve[0] and "gap" in trackers["VAE", 1].curve[0]
    # 100 images, 60 passes: the autoencoder remembers its training images.
    assert ae_curve[-1]["reconstruction_gap"] > ae_curve[0]["reconstruction_gap"] > 0
    rows = [
        row | {"seed": seed}
        for i, seed in enumerate((0, 1))
        for row in sweep.measure(
            {name: group[i].model for name, group in runs.items()},
            x_train, x_test, n_samples=50, n_paths=0, seed=seed,
        )
    ]  # fmt: skip
    assert "largest_step_share" not in rows[0]  # n_paths=0: no continuity
    summary = stats.summarise(rows)
    assert [row["model"] for row in summary] == ["AE", "VAE"]
    kl = summary[1]["kl"]
    assert isinstance(kl, stats.Estimate) and kl.n == 2
    assert kl.mean == pytest.approx((rows[1]["kl"] + rows[3]["kl"]) / 2)
    assert kl.se == pytest.approx(abs(rows[1]["kl"] - rows[3]["kl"]) / 2)
    text = sweep.table(summary, {"model": "model", "kl": "KL"}, digits=1)
    assert f"{kl:.1f}" in text.splitlines()[2]
    with pytest.raises(ValueError, match="2 seeds or more"):
        sweep.train_over_seeds({}, x_train, 100, seeds=(0,))
    with pytest.raises(ValueError, match="as many training as held-out"):
        GapTracker(seen, held[:10])
