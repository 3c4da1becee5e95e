"""run_folder and checkpoints: the rules of a run folder, without training."""

import json
import zipfile

import pytest

from gdl_vae import checkpoints, run_folder
from gdl_vae.cli import main


def test_a_lock_is_held_by_one_command_at_a_time(tmp_path):
    first = run_folder.Lock(tmp_path, "train").acquire()
    with pytest.raises(ValueError, match="in use by another gdl-vae command"):
        run_folder.Lock(tmp_path, "evaluate").acquire()
    first.release()
    run_folder.Lock(tmp_path, "evaluate").acquire().release()
    assert list(tmp_path.iterdir()) == []  # nothing written for it


def test_the_kit_knows_its_own_files(tmp_path):
    for name in (
        "model.keras",
        "metrics.json",
        "model.part-12.keras",
        "samples-n4-seed1.png",
    ):
        assert run_folder.is_kit_file(name), name
    for name in ("thesis.part-3.tex", "notes.part-1"):
        assert not run_folder.is_kit_file(name), name
    (tmp_path / "model.keras").write_text("")
    (tmp_path / "notes.md").write_text("")
    (tmp_path / "figures").mkdir()
    assert run_folder.foreign_entries(tmp_path) == ["figures/", "notes.md"]


def test_temporary_names_are_per_process_and_keep_the_suffix(tmp_path):
    part = run_folder.partial(tmp_path / "model.keras")
    assert part.suffix == ".keras" and f".part-{__import__('os').getpid()}" in part.name


def test_a_damaged_json_file_is_named(tmp_path):
    (tmp_path / "config.json").write_text('{"a": 1,\n')
    with pytest.raises(ValueError, match=r"config.json is damaged: not valid JSON"):
        run_folder.read_json(tmp_path / "config.json")
    assert run_folder.read_json(tmp_path / "absent.json") == {}


def test_a_commit_keeps_the_previous_checkpoint_and_its_records(tmp_path):
    def save(epoch):
        def write(path):
            with zipfile.ZipFile(path, "w") as archive:
                archive.writestr("config.json", json.dumps({"epoch": epoch}))

        return write

    for epoch in (1, 2, 3):
        state = {"epoch": epoch, "history": {"loss": [0.0] * epoch}, "config": {}}
        checkpoints.commit(tmp_path, save(epoch), state)
    assert checkpoints.read_state(tmp_path / "model.keras")["epoch"] == 3
    assert checkpoints.read_state(tmp_path / "model.previous.keras")["epoch"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "model.keras",
        "model.previous.keras",
    ]
    (tmp_path / "model.keras").write_bytes(b"PK damaged")
    path, state, note = checkpoints.find_checkpoint(tmp_path)
    assert path.name == "model.previous.keras" and state["epoch"] == 2
    assert "model.keras is damaged" in note
    checkpoints.restore_previous(tmp_path)
    assert checkpoints.read_state(tmp_path / "model.keras")["epoch"] == 2
    assert (tmp_path / "model.damaged.keras").read_bytes() == b"PK damaged"


def test_a_latent_size_that_cannot_fit_is_refused_and_a_large_one_warned(
    capsys, monkeypatch
):
    from gdl_vae.cli import check_memory

    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 24 * 2**30 // 4096}  # 24 GiB
    monkeypatch.setattr("os.sysconf", pages.__getitem__)
    assert main(["train", "--latent-dim", "10000000", "--out", "/nonexistent/x"]) == 2
    assert "needs about 724.8 GiB" in capsys.readouterr().err
    check_memory(100_000, "conv")
    said = capsys.readouterr().err
    assert said.startswith("warning: --latent-dim 100,000 needs about 7.2 GiB")
    check_memory(64, "conv")
    assert capsys.readouterr().err == ""
