"""The sweep: train several models alike and measure each the same way."""

import numpy as np
import pytest

import gdl_vae
from gdl_vae import sweep


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
    rows = sweep.measure(models, x_train, x_test, n_samples=100, n_paths=20)
    ae, vae = rows
    assert ae["model"] == "AE" and "kl" not in ae and "neg_elbo" not in ae
    assert vae["neg_elbo"] == pytest.approx(vae["reconstruction"] + vae["kl"])
    for row in rows:
        for key in ("gap", "largest_step_share", "path_ratio", "direction_change"):
            assert np.isfinite(row[key])
        assert 0 <= row["nearer_train"] <= 1
        assert 1 <= row["active_units"] <= 3
    text = sweep.table(rows, {"model": "model", "reconstruction": "rec", "kl": "KL"})
    lines = text.splitlines()
    assert lines[0].split() == ["model", "rec", "KL"]
    assert lines[1].split() == ["AE", f"{ae['reconstruction']:.2f}", "-"]
    assert f"{vae['kl']:.2f}" in lines[2]
    with pytest.raises(ValueError, match="builders is empty"):
        sweep.train_models({}, x_train, 100)


def test_mean_term_share_places_the_mean_only_model_between_the_ends():
    rows = [
        {"model": "β=0", "x": 10.0, "y": 1.0, "z": 4.0},
        {"model": "β=1", "x": 20.0, "y": 1.0, "z": 8.0},
        {"model": "mean-only KL", "x": 17.5, "y": 3.0},
    ]
    assert sweep.mean_term_share(rows, "x") == pytest.approx(0.75)
    assert np.isnan(sweep.mean_term_share(rows, "y"))  # the KL changed nothing
    with pytest.raises(ValueError, match="no 'z' for mean-only KL"):
        sweep.mean_term_share(rows, "z")
