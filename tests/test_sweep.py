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


def test_term_effects_place_each_single_term_between_no_kl_and_both():
    rows = [
        {"model": "no KL", "x": 10.0, "y": 1.0, "z": 4.0},
        {"model": "mean term", "x": 17.5, "y": 3.0},
        {"model": "variance term", "x": 12.5, "y": 2.0, "z": 5.0},
        {"model": "both terms", "x": 20.0, "y": 1.0, "z": 8.0},
    ]
    effects = sweep.term_effects(rows, "x")
    assert effects == {"mean": pytest.approx(0.75), "variance": pytest.approx(0.25)}
    assert all(np.isnan(v) for v in sweep.term_effects(rows, "y").values())
    with pytest.raises(ValueError, match="no 'z' for mean term"):
        sweep.term_effects(rows, "z")
