"""A run folder on disk: what the kit writes there, its one checkpoint, its lock.

RUN/
  config.json           the options that define the run
  model.keras           the checkpoint: weights and optimizer state, and inside
                        the same file (gdl_vae/state.json) the epoch, the loss
                        history and the config it was trained with
  model.previous.keras  the checkpoint before it, kept
  history.json, metrics.json, *.png, training.gif
                        the results of a finished run, all of one model

A checkpoint is committed by one rename of a complete file, so a crash at any
point leaves the last committed checkpoint or the new one, never a model whose
records disagree with it. Results are removed before training goes on and
written again when it ends. A process working on a folder holds a lock on it;
temporary files carry its process id.

Plain Python, no TensorFlow: the command line checks a folder at once.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import os
import re
import signal
from pathlib import Path

CHECKPOINT = "model.keras"
PREVIOUS = "model.previous.keras"
DAMAGED = "model.damaged.keras"
STATE = "gdl_vae/state.json"  # the checkpoint's records, inside model.keras
FILM = "training.gif"  # the session's epochs as a film, beside the figures
# Written when a run finishes, from its checkpoint; metrics.json is written last.
RESULTS = (
    "history.json",
    "reconstructions.png",
    "samples.png",
    "latent.png",
    "losses.png",
    FILM,
    "metrics.json",
)
KIT_FILES = ("config.json", CHECKPOINT, PREVIOUS, DAMAGED, *RESULTS)
KIT_PATTERNS = ("samples-*.png",)  # what `sample` writes


def partial(path: Path) -> Path:
    """This process's temporary name for path (model.part-PID.keras): two writers
    never share one, and the suffix stays for the writers that check it."""
    return path.with_name(f"{path.stem}.part-{os.getpid()}{path.suffix}")


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically: a crash leaves the old file or the new, never half."""
    part = partial(path)
    part.write_text(json.dumps(data, indent=2) + "\n")
    part.replace(path)


def read_json(path: Path) -> dict:
    """The JSON object in path, {} when there is no such file; a damaged file is
    a ValueError that names it."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(
            f"{path} is damaged: not valid JSON ({error}). Fix: restore it, or "
            "delete it if the kit can write it again (rerun the command)."
        ) from None
    if not isinstance(data, dict):
        raise ValueError(
            f"{path} is damaged: it holds no JSON object. Fix: restore it."
        )
    return data


def failpoint(name: str) -> None:
    """Die here, as kill -9 would, when GDL_VAE_FAILPOINT names this point.

    The fault-injection tests stop a run at each point of a commit this way:
    "name:N" stops at the N-th time the point is reached, "name:N:INT" sends
    Ctrl-C (SIGINT) instead.
    """
    wanted = os.environ.get("GDL_VAE_FAILPOINT", "")
    point, _, rest = wanted.partition(":")
    if point != name:
        return
    count, _, how = rest.partition(":")
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] == int(count or 1):
        os.kill(os.getpid(), signal.SIGINT if how == "INT" else signal.SIGKILL)


_reached: dict[str, int] = {}


# What the kit wrote, and what it must never touch.


def is_kit_file(name: str) -> bool:
    """Whether the kit writes files of this name (a temporary one included)."""
    part = _PARTIAL.fullmatch(name)
    if part:
        name = part[1] + (part[2] or "")
    return name in KIT_FILES or any(fnmatch.fnmatch(name, p) for p in KIT_PATTERNS)


_PARTIAL = re.compile(r"(.+)\.part-\d+(\.[^.]+)?")  # partial()'s names


def foreign_entries(folder: Path) -> list[str]:
    """The entries of folder that the kit did not write (folders among them)."""
    return sorted(
        entry.name + ("/" if entry.is_dir() else "")
        for entry in folder.iterdir()
        if entry.is_dir() or not is_kit_file(entry.name)
    )


def check_out(out: Path, overwrite: bool) -> None:
    """Refuse, before anything is read or written, a run folder the kit must not use."""
    if out.exists() and not out.is_dir():
        raise ValueError(
            f"--out {out} is a file, not a folder. Fix: name a new or empty folder."
        )
    here, target = Path.cwd().resolve(), out.resolve()
    if overwrite:
        protected = {Path(target.anchor), Path.home().resolve()}
        if target in protected or target == here or target in here.parents:
            raise ValueError(
                f"--overwrite refuses {out}: it is the root, your home or the "
                "working directory (or a folder above it). Fix: name the run "
                "folder itself, for example --out runs/NAME."
            )
    if out.is_dir():
        foreign = foreign_entries(out)
        if foreign:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            raise ValueError(
                f"--out {out} holds files that gdl-vae did not write ({shown}); "
                "the kit writes and moves only its own run folders. Fix: name a new "
                "or empty folder."
            )


def move_aside(out: Path) -> Path:
    """Rename a run folder to RUN.old-<time> (never deleted); the new name."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = out.with_name(f"{out.name}.old-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = out.with_name(f"{out.name}.old-{stamp}-{n}")
    out.rename(aside)
    return aside


def clear_results(out: Path) -> None:
    """Remove a finished run's results (metrics.json first): the model they
    describe is about to change."""
    for name in reversed(RESULTS):
        (out / name).unlink(missing_ok=True)


def remove_partials(out: Path) -> None:
    """Temporary files left by a process that died (call while holding the lock)."""
    for entry in out.glob("*.part-*"):
        if _PARTIAL.fullmatch(entry.name) and is_kit_file(entry.name):
            entry.unlink(missing_ok=True)


# The lock.


class Lock:
    """An exclusive lock on a run folder, held until release (or the process
    ends: the system drops it even after kill -9). Nothing is written for it."""

    def __init__(self, out: Path, command: str):
        self.out, self.command, self.fd = out, command, None

    def acquire(self) -> Lock:
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks on folders
            return self
        self.fd = os.open(self.out, os.O_RDONLY)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.release()
            raise ValueError(
                f"{self.out} is in use by another gdl-vae command (a training or "
                f"an evaluation); {self.command} would mix their files. Fix: wait "
                "for it to end, or choose another run folder."
            ) from None
        except OSError:  # a file system without locks: go on unlocked
            pass
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
