"""A run folder's checkpoint: model.keras, committed as one unit.

The file is the model (weights and optimizer state) as Keras saves it, with
the run's records inside the same zip (gdl_vae/state.json: the epoch, the loss
history and the config it was trained with). It is written under a temporary
name and committed by one rename, after the one it replaces is kept as
model.previous.keras; so a crash at any point leaves a sound checkpoint whose
records agree with its model. Reading one checks every byte first.

Not keras.callbacks.BackupAndRestore: its backup is a folder of its own,
deleted when training ends, with no records beside the weights; a run folder
must hold the model, its history and its config as one unit that survives a
kill at any point (tests/test_faults.py), and resume to the uninterrupted
run's losses exactly.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from gdl_vae.run_folder import (
    CHECKPOINT,
    DAMAGED,
    PREVIOUS,
    RESULTS,
    STATE,
    failpoint,
    partial,
    read_json,
)


def read_state(path: Path) -> dict:
    """The records inside a checkpoint (epoch, history, config), after checking
    every byte of it; ValueError when it is damaged or not the kit's."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            if bad is not None:
                raise zipfile.BadZipFile(f"{bad} fails its checksum")
            if "config.json" not in archive.namelist():
                raise zipfile.BadZipFile("no model inside")
            if STATE not in archive.namelist():
                return {}
            state = json.loads(archive.read(STATE))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(
            f"{path} is damaged ({error or type(error).__name__})"
        ) from None
    return state


def find_checkpoint(out: Path) -> tuple[Path | None, dict, str]:
    """(the newest sound checkpoint, its records, a note on what was passed over).

    model.keras first; when it is missing or damaged, model.previous.keras.
    (None, {}, "") when the folder holds neither.
    """
    notes = []
    for name in (CHECKPOINT, PREVIOUS):
        path = out / name
        if not path.exists():
            if name == CHECKPOINT and (out / PREVIOUS).exists():
                notes.append(f"{path} is missing")
            continue
        try:
            return path, read_state(path), "; ".join(notes)
        except ValueError as error:
            notes.append(str(error))
    if notes:
        raise ValueError(
            f"{'; '.join(notes)}, and there is no sound checkpoint to resume from. "
            "Fix: add --overwrite to start again (the run is moved aside, not "
            "deleted), or choose another --out."
        )
    return None, {}, ""


def check_records(out: Path, config: dict, state: dict, results: bool = True) -> None:
    """Refuse, naming the file, when the options asked for, the checkpoint's
    records, config.json and (with results) history.json do not all agree."""
    trained = state["config"]
    _compare(
        trained,
        config,
        f"{out / CHECKPOINT} was trained with other options",
        "choose another --out, or add --overwrite to start again (the run is "
        "moved aside, not deleted)",
    )
    saved = read_json(out / "config.json")
    _compare(
        trained,
        saved,
        f"{out / 'config.json'} disagrees with {out / CHECKPOINT}",
        "restore config.json, or delete it: the kit writes it again from the "
        "checkpoint",
    )
    history = read_json(out / "history.json") if results else {}
    if history and history != state["history"]:
        epochs = len(history.get("loss", []))
        raise ValueError(
            f"{out / 'history.json'} ({epochs} epochs) disagrees with the history "
            f"inside {out / CHECKPOINT} ({state['epoch']} epochs). Fix: delete "
            "history.json: the kit writes it again from the checkpoint."
        )


def _compare(trained: dict, other: dict, what: str, fix: str) -> None:
    changed = {
        k: (v, other[k]) for k, v in trained.items() if k in other and other[k] != v
    }
    if changed:
        said = ", ".join(
            f"{k}: {old!r} -> {new!r}" for k, (old, new) in changed.items()
        )
        raise ValueError(f"{what} ({said}). Fix: {fix}.")


def finished(out: Path) -> bool:
    """Whether the results of the checkpoint's model are all written: metrics.json
    (written last) and history.json describe its epoch."""
    _, state, _ = find_checkpoint(out)
    metrics = read_json(out / "metrics.json")
    history = read_json(out / "history.json")
    return bool(state) and metrics.get("epochs") == state["epoch"] == len(
        history.get("loss", [])
    )


def restore_previous(out: Path) -> None:
    """Make model.previous.keras the checkpoint again; a damaged model.keras is
    kept as model.damaged.keras."""
    if (out / CHECKPOINT).exists():
        (out / CHECKPOINT).replace(out / DAMAGED)
    _copy(out / PREVIOUS, out / CHECKPOINT)


def commit(out: Path, save, state: dict) -> None:
    """Write a checkpoint as one unit: save(path) writes the model, the records
    go into the same file, and one rename makes it the checkpoint; the one it
    replaces becomes model.previous.keras."""
    part = partial(out / CHECKPOINT)
    try:
        save(part)
        with zipfile.ZipFile(part, "a") as archive:
            archive.writestr(STATE, json.dumps(state))
        with open(part, "rb") as f:
            os.fsync(f.fileno())
        failpoint("checkpoint-written")
        if (out / CHECKPOINT).exists():
            _copy(out / CHECKPOINT, out / PREVIOUS)
        failpoint("previous-kept")
        part.replace(out / CHECKPOINT)
    finally:
        part.unlink(missing_ok=True)
    failpoint("committed")


def _copy(source: Path, dest: Path) -> None:
    """dest becomes a copy of source, atomically (a hard link where it can)."""
    if dest.exists() and os.path.samefile(source, dest):
        return  # linked already (and renaming a link onto itself does nothing)
    part = partial(dest)
    part.unlink(missing_ok=True)
    try:
        os.link(source, part)
    except OSError:
        part.write_bytes(source.read_bytes())
    part.replace(dest)


def resumable(out: Path, config: dict) -> tuple[Path | None, dict, str]:
    """The checkpoint to resume from, its records and a note, after checking
    that the folder's records agree with each other and with the options."""
    checkpoint, state, note = find_checkpoint(out)
    if checkpoint is None:
        left = [name for name in RESULTS if (out / name).exists()]
        if left:
            raise ValueError(
                f"{out} holds {', '.join(left)} but no {CHECKPOINT}, the "
                "model they describe (deleted or moved?). Fix: put it back, or add "
                "--overwrite to start again (the run is moved aside, not deleted)."
            )
        return None, {}, ""
    if not state:
        raise ValueError(
            f"{checkpoint} was written by an older gdl_vae, without its training "
            "records inside, so it cannot be resumed safely. Fix: add --overwrite "
            "to train again (the old run is moved aside), or choose another --out."
        )
    # Resuming from the previous checkpoint: the results, if any, describe the
    # lost one; they are removed before training.
    check_records(out, config, state, results=not note)
    return checkpoint, state, note
