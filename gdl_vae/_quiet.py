"""Import hooks that keep `import gdl_vae` light and everything after it smooth.

`import gdl_vae` imports neither TensorFlow nor Keras (the command line's
registry reads without them). It installs two one-shot hooks instead:

- TensorFlow's C++ runtime prints oneDNN and CUDA notices to file descriptor 2
  before its log level is read, so the environment variable alone does not
  silence them (and Jupyter shows them in the cell's output). Whoever imports
  TensorFlow first (gdl_vae itself, a notebook, Keras), it is imported with
  descriptor 2 silenced.
- Keras finds a saved model's classes only once they are registered, which
  happens when their module is imported. Once Keras is imported, the modules
  of the registry's models are imported too (as soon as no gdl_vae module is
  half-way through its own import), so that `keras.models.load_model` works
  after `import gdl_vae`.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Iterator

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@contextlib.contextmanager
def _silenced_stderr() -> Iterator[None]:
    """File descriptor 2 points to /dev/null inside; Python errors still raise."""
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _quiet_tensorflow(loader: importlib.abc.Loader, module) -> None:
    with _silenced_stderr():
        loader.exec_module(module)
        # Listing devices initialises the runtime, which prints the rest.
        module.config.list_physical_devices()


_pending = False  # Keras is imported, the models not yet registered


def _keras_then_models(loader: importlib.abc.Loader, module) -> None:
    global _pending
    loader.exec_module(module)
    _pending = True
    register_models()


def _importing_gdl_vae() -> bool:
    """True while a gdl_vae module is half-way through its import."""
    return any(
        getattr(getattr(m, "__spec__", None), "_initializing", False)
        for name, m in list(sys.modules.items())
        if name == "gdl_vae" or name.startswith("gdl_vae.")
    )


def register_models(force: bool = False) -> None:
    """Import the registry's model modules, which registers their classes with
    Keras; a no-op until Keras is imported, and while importing them could
    reach a module of gdl_vae that is half-way through its own import."""
    global _pending
    if not (_pending or force) or (_importing_gdl_vae() and not force):
        return
    _pending = False
    from gdl_vae.models import registry

    for entry in registry.MODELS.values():
        if isinstance(entry.builder, str):
            importlib.import_module(entry.builder.partition(":")[0])


class _Loader(importlib.abc.Loader):
    """A module's own loader, run through `run(loader, module)`."""

    def __init__(self, loader: importlib.abc.Loader, run):
        self.loader, self.run = loader, run

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        self.run(self.loader, module)


class _Hook(importlib.abc.MetaPathFinder):
    """Finds nothing itself: hands a module's spec back with a wrapped loader."""

    def __init__(self, name: str, run):
        self.name, self.run = name, run

    def find_spec(self, fullname, path, target=None):
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # one shot: the real finders do the rest
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader, self.run)
        return spec


def install() -> None:
    """Install both hooks (once); a module already imported needs none."""
    hooked = {f.name for f in sys.meta_path if isinstance(f, _Hook)}
    for name, run in (("tensorflow", _quiet_tensorflow), ("keras", _keras_then_models)):
        if name not in sys.modules and name not in hooked:
            sys.meta_path.insert(0, _Hook(name, run))
    if "keras" in sys.modules:
        register_models(force=True)


def import_tensorflow() -> None:
    """Import TensorFlow now, quietly (a no-op when it is already imported)."""
    install()
    importlib.import_module("tensorflow")
