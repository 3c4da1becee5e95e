import json
import os
import signal
import subprocess
import sys
import time

import pytest
from PIL import Image

from gdl_vae.checkpoints import read_state
from gdl_vae.cli import main

FAST = ["--architecture", "dense", "--limit", "512", "--dtype-policy", "float32"]


def run(*args: str) -> int:
    return main(list(args))


def saved_epochs(out) -> int:
    """The epochs committed in a run folder's checkpoint, 0 before the first."""
    try:
        return read_state(out / "model.keras")["epoch"]
    except (FileNotFoundError, ValueError):
        return 0


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "vae"
    options = ["--epochs", "2", "--iwae-k", "20", "--iwae-images", "300"]
    assert run("train", *options, "--out", str(out), *FAST) == 0
    return out


def test_train_writes_model_history_metrics_and_figures(vae_run):
    for name in (
        "model.keras",
        "config.json",
        "history.json",
        "metrics.json",
        "reconstructions.png",
        "samples.png",
        "latent.png",
        "losses.png",
        "training.gif",
    ):
        assert (vae_run / name).stat().st_size > 0, name
    # The film: 16 prior samples before training and after each of the 2 epochs.
    film = Image.open(vae_run / "training.gif")
    assert film.n_frames == 3
    history = json.loads((vae_run / "history.json").read_text())
    assert len(history["loss"]) == 2 and len(history["val_kl_loss"]) == 2
    metrics = json.loads((vae_run / "metrics.json").read_text())
    assert "60,000 training and 10,000 test images" in metrics["data_source"]
    assert metrics["n_train"] == 512 and metrics["n_test"] == 10000
    assert metrics["iwae_images"] == {"20": 300}
    test = metrics["test"]
    assert test["loss"] == pytest.approx(
        test["reconstruction_loss"] + test["kl_loss"], rel=1e-4
    )
    assert metrics["elbo"] < metrics["iwae"]["20"] < 0
    assert metrics["elbo"] == pytest.approx(-test["loss"], abs=3)


def test_a_finished_run_is_not_trained_again(vae_run, capsys):
    before = (vae_run / "model.keras").stat().st_mtime_ns
    assert (
        run("train", "--epochs", "2", "--iwae-k", "20", "--out", str(vae_run), *FAST)
        == 0
    )
    assert "already trained for 2 epochs" in capsys.readouterr().out
    assert (vae_run / "model.keras").stat().st_mtime_ns == before


def test_changed_options_do_not_mix_runs(vae_run, capsys):
    assert (
        run("train", "--epochs", "2", "--latent-dim", "3", "--out", str(vae_run), *FAST)
        == 2
    )
    assert "latent_dim: 2 -> 3" in capsys.readouterr().err


def test_sample_and_evaluate_work_on_a_saved_run(vae_run, tmp_path, capsys):
    assert (
        run("sample", str(vae_run), "--n", "16", "--out", str(tmp_path / "s.png")) == 0
    )
    assert (tmp_path / "s.png").stat().st_size > 0
    assert run("evaluate", str(vae_run), "--k", "50") == 0
    assert (
        "importance-weighted bound (k=50, all 10,000 images)" in capsys.readouterr().out
    )
    metrics = json.loads((vae_run / "metrics.json").read_text())
    assert set(metrics["iwae"]) == {"20", "50"}
    assert metrics["iwae_images"] == {"20": 300, "50": 10000}
    assert run("evaluate", str(tmp_path)) == 2  # no model there: a clear error
    assert "holds no model.keras" in capsys.readouterr().err


@pytest.mark.parametrize("model", ["ae", "acai"])
def test_runs_without_a_prior_sample_from_their_codes_gaussian(model, tmp_path):
    out = tmp_path / model
    options = ["--model", model, "--epochs", "1", "--out", str(out), *FAST]
    assert run("train", *options) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert "elbo" not in metrics  # no bound without a prior
    assert run("sample", str(out), "--n", "8", "--out", str(tmp_path / "s.png")) == 0
    if model == "acai":
        assert {"adversarial_loss", "critic_loss"} <= set(metrics["test"])


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path):
    out = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "gdl_vae.cli",
        "train",
        "--epochs",
        "500",
        "--iwae-k",
        "5",
        "--out",
        str(out),
        *FAST,
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # Ctrl-C as in a terminal: a job started in the background of a script
        # inherits SIGINT ignored, and Python then never raises KeyboardInterrupt.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None:
        if saved_epochs(out) >= 2:
            break
        time.sleep(0.2)
    output = None
    for _ in range(6):  # Ctrl-C again, as a user would, if the first one is lost
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=20)
            break
        except subprocess.TimeoutExpired:
            continue
    if output is None:
        process.kill()
        output, _ = process.communicate()
        pytest.fail(f"training went on after six interrupts; it printed:\n{output}")
    assert process.returncode == 130, output
    saved = saved_epochs(out)
    assert f"interrupted: {saved} epochs saved in {out / 'model.keras'}" in output
    assert "run the same command again to resume" in output
    assert 2 <= saved < 500
    assert not (out / "metrics.json").exists()

    resumed = subprocess.run(
        [*command[:5], str(saved + 1), *command[6:]],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming {out} from epoch {saved}" in resumed.stdout
    assert len(json.loads((out / "history.json").read_text())["loss"]) == saved + 1
    assert (out / "metrics.json").exists()


def test_a_vampprior_iwae_run_trains_samples_and_evaluates(tmp_path):
    out = tmp_path / "vamp"
    options = ["--prior", "vamp", "--n-pseudo-inputs", "10", "--k", "3"]
    bounds = ["--iwae-k", "20", "--iwae-images", "100"]
    assert (
        run("train", "--epochs", "1", *options, *bounds, "--out", str(out), *FAST) == 0
    )
    config = json.loads((out / "config.json").read_text())
    assert (config["prior"], config["n_pseudo_inputs"], config["k"]) == ("vamp", 10, 3)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["elbo"] < metrics["iwae"]["20"] < 0
    assert run("sample", str(out), "--n", "4", "--out", str(tmp_path / "s.png")) == 0
    assert (tmp_path / "s.png").stat().st_size > 0
