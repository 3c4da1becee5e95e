"""Fault injection: a run folder survives kills, deletions, damage, two writers
and bad options, and a resumed run reproduces the uninterrupted one.

Every test ends in one of three ways, as a careful user's bad day should: no
file the user wrote is lost; the run resumes to exactly the numbers of an
uninterrupted run; or the command refuses in one line that says what to do.
Kills happen in child processes (kill -9 at named points of a commit, through
GDL_VAE_FAILPOINT, and at random times); the rest runs in this process.
"""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from gdl_vae.checkpoints import read_state
from gdl_vae.cli import main
from gdl_vae.run_folder import RESULTS

EPOCHS = 3
FAST = [
    "--architecture", "dense", "--limit", "256", "--batch-size", "64",
    "--dtype-policy", "float32", "--iwae-k", "2", "--iwae-images", "20",
]  # fmt: skip


def train_args(out: Path, epochs: int = EPOCHS, *more: str) -> list[str]:
    return ["train", "--epochs", str(epochs), "--out", str(out), *FAST, *more]


def child(out: Path, epochs: int = EPOCHS, failpoint: str = "", **popen):
    """`gdl-vae train` in a child process, as a user's terminal would run it."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "GDL_VAE_FAILPOINT": failpoint}
    return subprocess.Popen(
        [sys.executable, "-m", "gdl_vae.cli", *train_args(out, epochs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        # Ctrl-C as in a terminal (a background job inherits SIGINT ignored).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        **popen,
    )


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Fix:" in err or " must be " in err, err  # what to do
    return err


def history(out: Path) -> dict:
    return json.loads((out / "history.json").read_text())


def assert_consistent(out: Path, killed: bool = False) -> int:
    """The folder's files agree: config.json with the checkpoint's config, and
    results, where present, all of the checkpoint's epoch. Returns that epoch.
    A process killed while writing may leave its temporary file (*.part-PID),
    which the next command removes."""
    if not (out / "model.keras").exists():
        assert not any((out / name).exists() for name in RESULTS)
        return 0
    state = read_state(out / "model.keras")
    config = json.loads((out / "config.json").read_text())
    assert config == state["config"]
    assert len(state["history"]["loss"]) == state["epoch"]
    if (out / "history.json").exists():
        assert history(out) == state["history"]
    if (out / "metrics.json").exists():
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["epochs"] == state["epoch"]
    assert killed or not list(out.glob("*.part-*"))
    return state["epoch"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """An uninterrupted run, the numbers every resumed run must reproduce."""
    out = tmp_path_factory.mktemp("reference") / "run"
    assert main(train_args(out)) == 0
    return out


def resume_and_compare(out: Path, reference: Path) -> None:
    assert main(train_args(out)) == 0
    assert assert_consistent(out) == EPOCHS
    assert history(out) == history(reference)  # exactly, loss for loss


def test_kill_9_at_each_point_of_a_commit(tmp_path, reference):
    """One folder, killed at each point in turn: each run resumes from what the
    last one left, and the last resume ends where the uninterrupted run did."""
    out = tmp_path / "run"
    for point, epoch in [
        ("checkpoint-written:2", 1),  # epoch 2's file written, not committed
        ("previous-kept:1", 1),  # epoch 2's: the old one copied aside, not replaced
        ("committed:1", 2),  # epoch 2's in place
        ("finishing:1", EPOCHS),  # trained, results not written
    ]:
        process = child(out, failpoint=point)
        output, _ = process.communicate(timeout=300)
        assert process.returncode == -signal.SIGKILL, (point, output)
        assert assert_consistent(out, killed=True) == epoch, point
    resume_and_compare(out, reference)


def test_kill_9_at_random_times(tmp_path, reference):
    out = tmp_path / "run"
    for seed in (1, 2, 3):
        process = child(out)
        deadline = time.time() + 120
        while time.time() < deadline:  # until training has begun
            line = process.stdout.readline()
            if not line or line.startswith("Epoch "):
                break
        time.sleep(random.Random(seed).uniform(0.0, 2.5))
        process.kill()
        process.communicate(timeout=60)
        assert_consistent(out, killed=True)
    resume_and_compare(out, reference)


def test_ctrl_c_during_a_save_and_during_the_bounds(tmp_path, reference):
    out = tmp_path / "run"
    for point, saved in [("checkpoint-written:2:INT", 1), ("finishing:1:INT", EPOCHS)]:
        process = child(out, failpoint=point)
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 130, output
        assert assert_consistent(out) == saved
        what = "finish" if saved == EPOCHS else "resume"
        assert f"interrupted: {saved} epochs saved in {out / 'model.keras'}" in output
        assert f"run the same command again to {what}" in output
        assert "Traceback" not in output
    resume_and_compare(out, reference)


def test_ctrl_c_during_evaluate_ends_in_one_line(tmp_path, reference):
    run = tmp_path / "run"
    shutil.copytree(reference, run)
    before = (run / "metrics.json").read_bytes()
    process = subprocess.Popen(
        [sys.executable, "-m", "gdl_vae.cli", "evaluate", str(run), "--k", "20000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "CI": "true"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 120
    while time.time() < deadline:  # until the bound has begun: its bar's first line
        line = process.stdout.readline()
        if not line or line.startswith("bound"):
            break
    time.sleep(1.0)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 130, output
    assert output.strip().splitlines()[-1] == "gdl-vae evaluate: interrupted.", output
    assert "Traceback" not in output
    assert (run / "metrics.json").read_bytes() == before  # nothing half-written
    assert not list(run.glob("*.part-*"))


def test_a_second_writer_is_refused_at_once(tmp_path, reference):
    out = tmp_path / "run"
    first = child(out)
    while "Epoch 1/" not in first.stdout.readline():
        assert first.poll() is None
    start = time.perf_counter()
    second = subprocess.run(
        [sys.executable, "-m", "gdl_vae.cli", *train_args(out, EPOCHS, "--seed", "1")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    took = time.perf_counter() - start
    assert second.returncode == 2 and "in use by another gdl-vae" in second.stderr
    assert len(second.stderr.strip().splitlines()) == 1
    assert took < 5, took  # refused before TensorFlow loads
    first.communicate(timeout=300)
    assert first.returncode == 0
    assert assert_consistent(out) == EPOCHS
    assert history(out) == history(reference)


@pytest.fixture
def finished(tmp_path, reference) -> Path:
    """A copy of the finished reference run, to damage."""
    out = tmp_path / "run"
    shutil.copytree(reference, out)
    return out


def test_deleted_config_is_written_again_unless_the_options_differ(finished, capsys):
    (finished / "config.json").unlink()
    assert main(train_args(finished, EPOCHS, "--latent-dim", "8")) == 2
    err = one_line_error(capsys)
    assert "model.keras was trained with other options (latent_dim: 2 -> 8)" in err
    assert not (finished / "config.json").exists()  # refused, nothing written
    assert main(train_args(finished)) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert_consistent(finished)


def test_deleted_history_is_written_again_from_the_checkpoint(finished, reference):
    (finished / "history.json").unlink()
    assert main(train_args(finished)) == 0  # finishes: results, no training
    assert assert_consistent(finished) == EPOCHS
    assert history(finished) == history(reference)


@pytest.mark.parametrize("damage", ["delete", "truncate", "flip a byte"])
def test_a_lost_checkpoint_resumes_from_the_previous_one(
    damage, finished, reference, capsys
):
    model = finished / "model.keras"
    data = model.read_bytes()
    if damage == "delete":
        model.unlink()
    elif damage == "truncate":
        model.write_bytes(data[: len(data) // 2])
    else:
        middle = len(data) // 2
        model.write_bytes(
            data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]
        )
    resume_and_compare(finished, reference)
    out = capsys.readouterr().out
    assert f"resuming {finished} from epoch {EPOCHS - 1}" in out
    if damage != "delete":
        assert "model.keras is damaged" in out
        assert (finished / "model.damaged.keras").exists()  # kept, not deleted


def test_two_damaged_checkpoints_are_refused_in_one_line(finished, capsys):
    for name in ("model.keras", "model.previous.keras"):
        (finished / name).write_bytes(b"PK\x03\x04 not a whole zip")
    assert main(train_args(finished)) == 2
    err = one_line_error(capsys)
    assert "model.keras is damaged" in err and "--overwrite" in err
    assert main(["evaluate", str(finished)]) == 2
    assert "model.keras is damaged" in one_line_error(capsys)


@pytest.mark.parametrize(
    "name, text, said",
    [
        ("config.json", '{"model": "vae",\n', "config.json is damaged: not valid JSON"),
        ("history.json", '{"loss": [1.0]}', "history.json (1 epochs) disagrees"),
        ("metrics.json", "[", "metrics.json is damaged"),
    ],
)
def test_damaged_or_edited_records_are_named(name, text, said, finished, capsys):
    (finished / name).write_text(text)
    command = ["evaluate", str(finished)] if name == "metrics.json" else None
    assert main(command or train_args(finished, EPOCHS + 1)) == 2
    assert said in one_line_error(capsys)
    assert (finished / name).read_text() == text  # left as it was


def test_overwrite_never_touches_files_the_kit_did_not_write(
    tmp_path, monkeypatch, capsys
):
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "thesis.tex").write_text("years of work")
    (work / "sub" / "data.csv").write_text("1,2,3")
    monkeypatch.chdir(work)
    for out in (".", str(work), str(tmp_path), "sub"):
        for extra in (["--latent-dim", "0"], []):
            assert main(train_args(Path(out), 1, "--overwrite", *extra)) == 2
            err = one_line_error(capsys)
            assert (
                "--overwrite refuses" in err
                or "did not write" in err
                or ("--latent-dim" in err)
            )
    assert (work / "thesis.tex").read_text() == "years of work"
    assert (work / "sub" / "data.csv").read_text() == "1,2,3"
    assert sorted(p.name for p in work.iterdir()) == ["sub", "thesis.tex"]


def test_overwrite_moves_the_old_run_aside(finished, reference, capsys):
    before = {p.name: p.read_bytes() for p in finished.iterdir()}
    assert main(train_args(finished, 1, "--overwrite")) == 0
    moved = list(finished.parent.glob("run.old-*"))
    assert len(moved) == 1 and f"moved the old run to {moved[0]}" in (
        capsys.readouterr().out
    )
    assert {p.name: p.read_bytes() for p in moved[0].iterdir()} == before
    assert assert_consistent(finished) == 1


def test_a_folder_of_other_files_is_not_a_run_folder(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(train_args(tmp_path, 1)) == 2
    assert "holds files that gdl-vae did not write (notes.txt)" in one_line_error(
        capsys
    )
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    file = tmp_path / "notes.txt"
    assert main(train_args(file, 1)) == 2
    assert "is a file, not a folder" in one_line_error(capsys)


BAD = [
    ["train", "--epochs", "0"],
    ["train", "--limit", "0"],
    ["train", "--limit", "-5"],
    ["train", "--iwae-images", "-5"],
    ["train", "--iwae-k", "0"],
    ["train", "--batch-size", "0"],
    ["train", "--latent-dim", "0"],
    ["train", "--latent-dim", "10000000"],
    ["train", "--learning-rate", "-1"],
    ["train", "--learning-rate", "nan"],
    ["train", "--learning-rate", "1e4"],
    ["train", "--seed", "-1"],
    ["train", "--beta", "-1"],
    ["train", "--k", "0"],
    ["train", "--dreg"],
    ["train", "--model", "acai", "--gamma", "2"],
    ["train", "--model", "ae", "--beta", "2"],
    ["evaluate", "RUN", "--k", "0"],
    ["evaluate", "RUN", "--iwae-images", "-5"],
    ["sample", "RUN", "--n", "0"],
    ["sample", "RUN", "--n", "100000"],
]


def test_every_bad_option_is_refused_at_once_before_anything_is_written(tmp_path):
    """In a fresh interpreter: each refusal in one line, under a second, with
    TensorFlow never imported and no folder created."""
    script = f"""
import contextlib, io, json, sys, time
from gdl_vae.cli import main
out = []
for args in {BAD!r}:
    args = [a.replace("RUN", {str(tmp_path / "run")!r}) for a in args]
    if args[0] == "train":
        args += ["--out", {str(tmp_path / "run")!r}]
    err = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stderr(err):
        code = main(args)
    out.append([args, code, time.perf_counter() - start, err.getvalue()])
print(json.dumps({{"results": out, "tensorflow": "tensorflow" in sys.modules}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert not report["tensorflow"]
    for args, code, seconds, err in report["results"]:
        assert code == 2, (args, err)
        assert len(err.strip().splitlines()) == 1, (args, err)
        assert seconds < 1.0, (args, seconds)
    assert list(tmp_path.iterdir()) == []


def test_a_diverging_run_keeps_its_last_checkpoint(tmp_path, monkeypatch, capsys):
    from gdl_vae import training

    real = training.train

    def diverge(model, x, **kwargs):  # one good epoch, then NaN
        real(model, x, **{**kwargs, "epochs": 1})
        raise FloatingPointError("the training loss became nan in epoch 2.")

    monkeypatch.setattr(training, "train", diverge)
    out = tmp_path / "run"
    assert main(train_args(out)) == 2
    err = one_line_error(capsys)
    assert "became nan" in err and "last good checkpoint (epoch 1)" in err
    assert assert_consistent(out) == 1


def test_evaluate_checks_it_can_write_before_computing(finished, capsys, monkeypatch):
    blocker = finished / f"metrics.part-{os.getpid()}.json"
    blocker.mkdir()  # the temporary file cannot be written
    assert main(["evaluate", str(finished), "--k", "2", "--iwae-images", "5"]) == 2
    assert "metrics.part-" in one_line_error(capsys)
    blocker.rmdir()

    from gdl_vae import run_folder

    def full_disk(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run_folder, "write_json", full_disk)
    assert main(["evaluate", str(finished), "--k", "2", "--iwae-images", "5"]) == 2
    err = one_line_error(capsys)
    kept = Path(err.split("the results are kept in ")[1].split(".json")[0] + ".json")
    assert json.loads(kept.read_text())["iwae"]["2"] < 0
    kept.unlink()


def test_a_plain_keras_model_or_an_older_run_is_named(tmp_path, finished, capsys):
    import keras

    plain = tmp_path / "plain"
    plain.mkdir()
    keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]).save(
        plain / "model.keras"
    )
    assert main(["evaluate", str(plain)]) == 2
    assert "holds a Sequential, not a gdl_vae model" in one_line_error(capsys)

    # A run written before the checkpoint held its records: sampled, not resumed.
    older = finished / "model.keras"
    with zipfile.ZipFile(older) as z:
        entries = {n: z.read(n) for n in z.namelist() if not n.startswith("gdl_vae/")}
    with zipfile.ZipFile(older, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    assert main(["sample", str(finished), "--n", "4", "--seed", "0"]) == 0
    assert main(train_args(finished, EPOCHS + 1)) == 2
    assert "written by an older gdl_vae" in one_line_error(capsys)


def test_sample_writes_a_new_file_and_says_where(finished, tmp_path, capsys):
    samples = (finished / "samples.png").read_bytes()
    assert main(["sample", str(finished), "--n", "4", "--seed", "3"]) == 0
    written = finished / "samples-n4-seed3.png"
    assert f"to {written}" in capsys.readouterr().out and written.stat().st_size
    assert (finished / "samples.png").read_bytes() == samples  # training's kept
    folder = tmp_path / "pictures"
    folder.mkdir()
    assert main(["sample", str(finished), "--n", "4", "--out", str(folder)]) == 0
    [made] = folder.iterdir()
    assert f"to {made}" in capsys.readouterr().out
    assert main(["sample", str(finished), "--n", "4", "--out", str(folder / "x")]) == 0
    assert f"to {folder / 'x.png'}" in capsys.readouterr().out
