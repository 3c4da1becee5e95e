"""The benchmark's reference recipes, its timing and model-keeping callbacks,
and that the README shows exactly what the last full run wrote."""

import json
import math
from dataclasses import asdict, replace
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

import gdl_vae
from benchmarks import literature, notebooks, recipes, report, settings, training
from gdl_vae.models import pretrained

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results.json"


def _weights(model: keras.Model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.weights)


@pytest.mark.parametrize(
    ("networks", "encoder_weights", "decoder_weights"),
    [
        # The weight counts the published code prints in its model summaries.
        (recipes.keras_example_networks, 69_076, 65_089),
        # tensorflow.org CVAE with latent_dim = 2 (valid padding: 28 -> 13 -> 6).
        (recipes.tf_cvae_networks, 28_036, 41_953),
        # pytorch/examples: fc1 784x400, fc21/fc22 400x20, fc3 20x400, fc4 400x784.
        (recipes.pytorch_example_networks, 330_040, 322_784),
    ],
)
def test_reference_networks_have_their_published_sizes(
    networks, encoder_weights, decoder_weights
):
    encoder, decoder = networks()
    assert _weights(encoder) == encoder_weights
    assert _weights(decoder) == decoder_weights
    assert decoder.output_shape[1:] == (28, 28, 1)


def test_a_probability_decoder_is_evaluated_through_clipped_logits():
    model = recipes.KERAS_EXAMPLE.build(seed=0)
    vae = recipes.as_gdl_vae(model, recipes.KERAS_EXAMPLE)
    assert isinstance(vae, gdl_vae.VAE) and vae.encoder is model.encoder
    z = np.random.default_rng(0).normal(size=(16, 2)).astype("float32") * 4
    p = np.clip(model.decoder(z).numpy(), 1e-7, 1 - 1e-7)
    np.testing.assert_allclose(vae.decode_mean(z), p, rtol=1e-4, atol=1e-6)
    # A gdl_vae model is evaluated as it is.
    ours = recipes.GDL_CONV.build(seed=0)
    assert recipes.as_gdl_vae(ours, recipes.GDL_CONV) is ours


def test_tutorial_log_density_is_the_diagonal_gaussian_log_density():
    rng = np.random.default_rng(1)
    z, mean, log_var = (rng.normal(size=(5, 3)).astype("float32") for _ in range(3))
    expected = tfp.distributions.MultivariateNormalDiag(
        mean, tf.exp(0.5 * log_var)
    ).log_prob(z)
    got = recipes._log_normal_pdf(z, mean, log_var)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_clock_stops_training_when_the_budget_is_spent(mnist):
    _, stats = training.train(
        recipes.PYTORCH_EXAMPLE, mnist.x_train[:1024], "dynamic", budget_s=1.5
    )
    assert 1.5 <= stats["train_seconds"] < 1.5 + 10  # + one step and tracing
    assert 0 < stats["epochs"] < 10_000
    assert stats["images_per_second"] == pytest.approx(
        1024 / stats["seconds_per_epoch"], rel=0.01
    )


def test_clock_counts_a_fixed_number_of_epochs(mnist):
    _, stats = training.train(
        recipes.GDL_DENSE, mnist.x_train[:512], "static", epochs=3
    )
    assert stats["epochs"] == 3.0 and stats["train_images"] == 512


def test_keep_best_gives_back_the_best_validation_epoch(mnist):
    snapshots = []

    class SpoilTheLastEpoch(keras.callbacks.Callback):
        """Zero the weights before the last epoch, so that it cannot be the best;
        keep each epoch's weights."""

        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 3:
                self.model.set_weights([0 * w for w in self.model.get_weights()])

        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(self.model.get_weights())

    model, stats = training.train(
        recipes.GDL_DENSE, mnist.x_train[:640], "dynamic", epochs=4, keep_best=True,
        callbacks=[SpoilTheLastEpoch()],
    )  # fmt: skip
    val = model.history.history["val_loss"]
    best = int(np.argmin(val))
    assert best < 3 and stats["kept_epoch"] == best + 1
    for kept, there in zip(model.get_weights(), snapshots[best], strict=True):
        np.testing.assert_array_equal(kept, there)


def test_update_readme_replaces_only_the_marked_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        f"intro\n{report.README_START}\nold\n{report.README_END}\nafter\n"
    )
    for _ in range(2):  # idempotent
        report.update_readme("| a |\n", readme)
        assert readme.read_text() == (
            f"intro\n{report.README_START}\n\n| a |\n\n{report.README_END}\nafter\n"
        )


def test_results_are_a_full_run_with_machine_versions_and_data():
    result = json.loads(RESULTS.read_text())
    assert result["command"] == "python -m benchmarks.run"
    assert result["settings"] == json.loads(json.dumps(asdict(settings.FULL)))
    assert set(settings.PARTS) <= set(result)
    env = result["environment"]
    assert env["machine"] and env["date"] and env["versions"]["tensorflow"]
    # The standard split, named without a machine's path.
    assert result["data_source"].startswith(
        "MNIST, 60,000 training and 10,000 test images, from the repository's data/ "
        "(data/mnist)"
    )
    for row in result["literature"]["rows"]:  # the papers' protocol
        assert (row["iwae_k"], row["iwae_images"]) == (5000, 10_000)
        assert row["train_images"] == 56_250
    for row in result["quality"]["rows"]:
        assert row["iwae_k"] == 1000 and math.isfinite(row["neg_iwae"])


def test_readme_shows_the_markdown_of_the_committed_results():
    result = json.loads(RESULTS.read_text())
    text = report.markdown(result)
    assert (ROOT / "benchmarks" / "results.md").read_text() == text
    readme = (ROOT / "README.md").read_text()
    start = readme.index(report.README_START) + len(report.README_START)
    assert readme[start : readme.index(report.README_END)] == f"\n\n{text}\n"


def test_summary_judges_the_throughput_goal_on_speed_and_likelihood():
    def row(label, recipe, speedup, neg_elbo, options=None):
        return {
            "row": label,
            "recipe": recipe,
            "options": options or {},
            "speedup": speedup,
            "neg_elbo": neg_elbo,
        }

    result = {
        "throughput": {
            "images_seen": 180_000,
            "epochs": 3,
            "rows": [
                row("keras_example, as published", "keras_example", 1.0, 160.0),
                row("keras_example + x", "keras_example", 1.1, 160.0, {"x": 1}),
                row("gdl_vae conv (default)", "gdl_vae conv (default)", 2.6, 160.5),
                row("gdl_vae dense", "gdl_vae dense", 5.0, 161.5),
            ],
        }
    }
    conv, dense, _ = report.summary(result)
    assert "**2.60x**" in conv and "0.50 nats higher (worse)" in conv
    assert conv.endswith("is met.")
    assert "1.50 nats higher (worse)" in dense and dense.endswith("is missed.")


def test_durations_read_as_minutes_and_seconds():
    assert report.minutes(90.4) == "1 min 30 s"
    assert report.minutes(600.2) == "10 min"
    assert report.minutes(48.1) == "48 s"


def test_timing_some_notebooks_keeps_the_rows_of_the_others():
    quick = replace(settings.QUICK, notebooks=None, notebook_modes=())
    previous = {
        "rows": [
            {"notebook": "01_autoencoder.ipynb", "mode": "full", "seconds": 90.0},
            {"notebook": "04_regularization.ipynb", "mode": "full", "seconds": 1.0},
        ]
    }
    kept = notebooks.notebooks(quick, only=["04_regularization"], previous=previous)
    assert kept["rows"] == previous["rows"][:1]  # 04's old row is gone, 01's kept
    with pytest.raises(ValueError, match="no notebook named"):
        notebooks.notebooks(quick, only=["99_missing"], previous=previous)


def _literature_part(nll: float, seconds: float) -> dict:
    row = {
        "key": "best", "recipe": "r", "source": "s", "batch_size": 128,
        "lr_decay": 0.1, "train_seconds": seconds, "epochs": 500.0,
        "train_images": 56_250, "neg_elbo": nll + 5, "neg_iwae": nll,
        "iwae_k": 5000, "iwae_images": 10_000, "eval_seconds": 300.0,
    }  # fmt: skip
    return {
        "rows": [row],
        "published": settings.PUBLISHED,
        "goals": settings.GOALS,
        "n_train": 60_000,
        "data_source": "MNIST",
    }


def test_summary_judges_the_nll_goal_on_likelihood_and_time():
    met = report.summary({"literature": _literature_part(86.5, 3600.4)})[0]
    assert "**86.50**" in met and "is met (0.26 nats below it)" in met
    worse = report.summary({"literature": _literature_part(87.0, 3600.0)})[0]
    assert "is missed (0.24 nats above it)" in worse
    slow = report.summary({"literature": _literature_part(86.0, 7200.0)})[0]
    assert "is missed" in slow
    text = "\n".join(report.literature_lines(_literature_part(86.5, 3600.0)))
    for published in settings.PUBLISHED:
        assert f"| {published['nll']} |" in text
    assert "| 91.5 | 86.5 |" in text


def test_summary_judges_each_number_of_layers_against_its_own_goal():
    part = _literature_part(86.5, 3600.0)
    deeper = {**part["rows"][0], "key": "hvae", "layers": 2, "neg_iwae": 82.5}
    part["rows"].append(deeper)
    one, two = report.summary({"literature": part})[:2]
    assert one.startswith("- Best one-stochastic-layer recipe") and "**86.50**" in one
    assert two.startswith("- Best two-stochastic-layer recipe") and "**82.50**" in two
    assert "goal of 82.90 (Burda et al. 2016's two-layer IWAE" in two
    assert "is met (0.40 nats below it)" in two
    table = "\n".join(report.literature_table(part))
    assert "| this kit, 2 CPU cores | 2 | 60 min, 500.0 epochs | 91.5 | 82.5 |" in table


def test_a_shipped_row_saves_a_model_that_scores_as_its_row_says(mnist, tmp_path):
    data = replace(mnist, x_train=mnist.x_train[:512], x_test=mnist.x_test[:32])
    part = literature.literature(
        data, settings.QUICK, only=["hvae"], save_weights=tmp_path
    )
    (row,) = part["rows"]
    assert row["layers"] == 2 and row["curve"]
    info = pretrained.record("two_layers", tmp_path)
    assert info["options"] == recipes.GDL_HVAE.registered[1]
    assert info["held_out"]["nll"] == row["neg_iwae"] and info["curve"] == row["curve"]
    model = pretrained.load_pretrained("two_layers", tmp_path)
    x = gdl_vae.held_out_images(data.x_test, "dynamic")
    nll = -model.iwae_bound(x, k=row["iwae_k"], seed=0).mean()
    assert round(float(nll), 2) == row["neg_iwae"]


def test_literature_rows_train_only_what_is_asked(mnist):
    data = replace(mnist, x_train=mnist.x_train[:512], x_test=mnist.x_test[:32])
    previous = {"rows": [{"key": "vae", "neg_iwae": 90.0}, {"key": "gone"}]}
    part = literature.literature(
        data, settings.QUICK, only=["iwae5"], previous=previous
    )
    assert [r["key"] for r in part["rows"]] == ["vae", "iwae5"]
    assert part["rows"][0] == previous["rows"][0]  # kept as it was
    trained = part["rows"][1]
    assert trained["recipe"] == recipes.GDL_IWAE_5.name
    assert (
        math.isfinite(trained["neg_iwae"])
        and trained["iwae_k"] == settings.QUICK.literature_k
    )
    with pytest.raises(ValueError, match="literature rows are"):
        literature.literature(data, settings.QUICK, only=["nope"])


@pytest.mark.parametrize("name", ["07_tighter_bounds_and_priors", "08_hierarchies"])
def test_the_notebooks_quote_the_committed_literature_table(name):
    result = json.loads(RESULTS.read_text())
    table = "\n".join(report.literature_table(result["literature"])).strip("\n")
    cells = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"]
    markdown = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    assert any(table in cell for cell in markdown)


def test_each_notebook_row_says_which_machine_timed_it():
    """A run of some notebooks on another machine leaves the header's machine
    (the full run's) alone and names its own beside its rows."""
    env = {"date": "2026-11-24", "machine": "AMD EPYC, 2 cores", "gpus": [],
           "versions": {"python": "3.11", "tensorflow": "2.21", "keras": "3.15",
                        "tensorflow_probability": "0.25"}}  # fmt: skip
    rows = [
        {"notebook": "01_a.ipynb", "mode": "full", "seconds": 90.0},
        {"notebook": "04_b.ipynb", "mode": "quick", "seconds": 9.0,
         "machine": "Intel Xeon, 2 cores", "date": "2026-12-01"},
        {"notebook": "04_b.ipynb", "mode": "full", "seconds": 500.0,
         "machine": "Intel Xeon, 2 cores", "date": "2026-12-01"},
    ]  # fmt: skip
    text = report.markdown(
        {
            "command": "python -m benchmarks.run",
            "environment": env,
            "data_source": "MNIST",
            "notebooks": {"rows": rows},
        }
    )
    assert "on 2026-11-24: AMD EPYC, 2 cores" in text
    assert "| 01_a.ipynb | 1 min 30 s | 0 s | AMD EPYC, 2 cores, 2026-11-24 |" in text
    assert "| 04_b.ipynb | 8 min 20 s | 9 s | Intel Xeon, 2 cores, 2026-12-01 |" in text


def test_flops_are_counted_from_the_layers():
    from types import SimpleNamespace

    from benchmarks import flops

    image = keras.Input((28, 28, 1))
    h = keras.layers.Conv2D(4, 3, strides=2, padding="same")(image)  # 14 x 14 x 4
    z = keras.layers.Dense(2)(keras.layers.Flatten()(h))
    code = keras.Input((2,))
    h = keras.layers.Reshape((7, 7, 4))(keras.layers.Dense(7 * 7 * 4)(code))
    logits = keras.layers.Conv2DTranspose(1, 3, strides=4, padding="same")(h)
    model = SimpleNamespace(
        encoder=keras.Model(image, z), decoder=keras.Model(code, logits)
    )
    encoder = 14 * 14 * (3 * 3 * 1) * 4 + 784 * 2  # per output position; per unit
    decoder = 2 * 196 + 7 * 7 * (3 * 3 * 4) * 1  # a transposed conv: per input
    counted = flops.training_flops(model)
    assert counted["encoder_macs"] == encoder
    assert counted["decoder_macs"] == decoder
    assert counted["train_flops_per_image"] == 2 * 3 * (encoder + decoder)
    model.k = 5  # k samples per image: the decoder runs five times
    assert flops.training_flops(model)["train_flops_per_image"] == 6 * (
        encoder + 5 * decoder
    )


def test_the_peak_is_measured_with_its_spread():
    from benchmarks import flops

    peak = flops.peak(repeats=2, size=256)
    for kernel in ("matmul", "conv"):
        p = peak[kernel]
        assert 0 < p["low"] <= p["gflops"] <= p["high"] and p["repeats"] == 2


def test_summary_judges_the_peak_share_and_says_what_bounds_it():
    def row(label, recipe, speedup, share, options=None):
        return {
            "row": label, "recipe": recipe, "options": options or {},
            "speedup": speedup, "neg_elbo": 160.0, "gflops": 100 * share,
            "peak_share": share,
        }  # fmt: skip

    profile = [
        {"network": "encoder", "layer": "Dense (512,)", "ms": 1.0},
        {"network": "decoder", "layer": "Dense (784,)", "ms": 1.5},
        {"network": "-", "layer": "whole train_step", "ms": 4.0},
    ]
    part = {
        "images_seen": 180_000,
        "epochs": 3,
        "peak": {"matmul": {"gflops": 100.0}, "conv": {"gflops": 80.0}},
        "profile_batch": 128,
        "profile": {"gdl_vae dense": profile, "gdl_vae conv": profile},
        "rows": [
            row("keras_example, as published", "keras_example", 1.0, 0.1),
            row("gdl_vae conv (default)", "gdl_vae conv (default)", 2.0, 0.2),
            row("gdl_vae dense", "gdl_vae dense", 5.0, 0.4),
        ],
    }
    conv, _, share, _ = report.summary({"throughput": part})
    assert "is missed. What bounds it" in conv
    assert "**40%**" in share and "of 50% is missed" in share
    assert "2.50 ms of a 4.00 ms training step" in share
    assert "the other 1.50 ms" in share
    part["rows"][2]["peak_share"] = 0.6
    assert "is met." in report.summary({"throughput": part})[2]
