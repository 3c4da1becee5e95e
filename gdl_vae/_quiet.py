"""TensorFlow without its start-up log lines, whoever imports it first.

`import gdl_vae` imports neither TensorFlow nor Keras (the command line's
registry reads without them). TensorFlow's C++ runtime prints oneDNN and CUDA
notices to file descriptor 2 before its log level is read, so its own setting,
TF_CPP_MIN_LOG_LEVEL (set to 2 here), does not silence them, not even at 3
(TensorFlow 2.21; and Jupyter shows them in the cell's output). `install` adds
a one-shot import hook: whoever imports TensorFlow first (gdl_vae itself, a
notebook, Keras), descriptor 2 is caught while it imports, and every line but
the known start-up notices (NOTICES) is written back to it: a real TensorFlow
or CUDA diagnostic still shows. The CUDA notices are dropped only where no
NVIDIA device exists; GDL_VAE_TF_LOG=1 shows everything. Nothing else happens
on import: a saved model's classes are registered by `gdl_vae.load_model`
(registry.import_models).
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import tempfile
from collections.abc import Iterator

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


# Start-up notices of TensorFlow's C++ runtime that say nothing to act on.
NOTICES = (
    "All log messages before absl::InitializeLog() is called",
    "oneDNN custom operations are on",
    "rebuild TensorFlow with the appropriate compiler flags",
    "This TensorFlow binary is optimized to use available CPU instructions",
)
# On a machine without an NVIDIA device, a CUDA build of TensorFlow says it
# found none; with one, these lines are a real problem and are kept.
CUDA_NOTICES = (
    "Could not find cuda drivers on your machine",
    "failed call to cuInit",
    "Unable to register cu",
)


def kept_lines(text: str, gpu_present: bool) -> str:
    """The lines of captured stderr worth showing: all but the known notices."""
    notices = NOTICES if gpu_present else NOTICES + CUDA_NOTICES
    lines = text.splitlines(keepends=True)
    return "".join(line for line in lines if not any(n in line for n in notices))


@contextlib.contextmanager
def _silenced_stderr() -> Iterator[None]:
    """File descriptor 2 is caught inside; its lines other than the known
    notices are written back at the end. Python errors still raise."""
    if os.environ.get("GDL_VAE_TF_LOG") == "1":
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some embedded interpreters)
        yield
        return
    caught = tempfile.TemporaryFile()
    try:
        os.dup2(caught.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        caught.seek(0)
        text = caught.read().decode("utf-8", "replace")
        caught.close()
        rest = kept_lines(text, gpu_present=os.path.exists("/dev/nvidia0"))
        if rest:
            sys.stderr.write(rest)
            sys.stderr.flush()


def _quiet_tensorflow(loader: importlib.abc.Loader, module) -> None:
    with _silenced_stderr():
        loader.exec_module(module)
        # Listing devices initialises the runtime, which prints the rest.
        module.config.list_physical_devices()


class _Loader(importlib.abc.Loader):
    """A module's own loader, run through `run(loader, module)`."""

    def __init__(self, loader: importlib.abc.Loader, run):
        self.loader, self.run = loader, run

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        for finder in [f for f in sys.meta_path if isinstance(f, _Hook)]:
            if finder.name == module.__name__:
                sys.meta_path.remove(finder)  # one shot
        self.run(self.loader, module)


class _Hook(importlib.abc.MetaPathFinder):
    """Finds nothing itself: hands a module's spec back with a wrapped loader."""

    def __init__(self, name: str, run):
        self.name, self.run = name, run

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        # The real finders find it; the hook goes once the module is loaded (a
        # look-up alone, importlib.util.find_spec, loads nothing).
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader, self.run)
        return spec


def install() -> None:
    """Install the hook (once); TensorFlow already imported needs none."""
    hooked = any(isinstance(f, _Hook) for f in sys.meta_path)
    if "tensorflow" not in sys.modules and not hooked:
        sys.meta_path.insert(0, _Hook("tensorflow", _quiet_tensorflow))


@contextlib.contextmanager
def expected_retracing() -> Iterator[None]:
    """Hide TensorFlow's retracing warning where retracing is expected
    (`with sweep.expected_retracing(): ...`): each new model of a sweep traces
    its own training and evaluation functions, and a bound traces once per
    number of samples; after a few TensorFlow warns about "excessive
    retracing"."""
    import logging

    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
