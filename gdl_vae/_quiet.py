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
  of the registry's models are imported too, so that `keras.models.load_model`
  works after `import gdl_vae`: at once, or, while gdl_vae, Keras, TensorFlow
  or TFP is half-way through its own import, at the next use of a gdl_vae
  name (`gdl_vae.load_model` always registers them first).
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
    register_models(done=module.__name__)  # TensorFlow imported Keras: now whole


_pending = False  # Keras is imported, the models not yet registered
# Packages the model modules import: none may be half-way through its import.
_NEEDED = ("gdl_vae", "keras", "tensorflow", "tensorflow_probability")


def _keras_then_models(loader: importlib.abc.Loader, module) -> None:
    global _pending
    loader.exec_module(module)
    _pending = True
    register_models(done=module.__name__)


def _half_imported(done: str | None = None) -> bool:
    """True while a module the models need is half-way through its import.

    done: a package whose code has just run (still marked as importing until
    its loader returns), with everything it imported.
    """
    return any(
        getattr(getattr(m, "__spec__", None), "_initializing", False)
        for name, m in list(sys.modules.items())
        if name.partition(".")[0] in _NEEDED and name.partition(".")[0] != done
    )


def register_models(force: bool = False, done: str | None = None) -> None:
    """Import the registry's model modules, which registers their classes with
    Keras. Unless forced, a no-op until Keras is imported, and while one of the
    packages they import is half-way through its own import: the next call
    (the next attribute of gdl_vae, or load_model) does it then."""
    global _pending
    if not force and (not _pending or _half_imported(done)):
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
    """Install both hooks (once); a module already imported needs none."""
    hooked = {f.name for f in sys.meta_path if isinstance(f, _Hook)}
    for name, run in (("tensorflow", _quiet_tensorflow), ("keras", _keras_then_models)):
        if name not in sys.modules and name not in hooked:
            sys.meta_path.insert(0, _Hook(name, run))
    if "keras" in sys.modules:  # imported before gdl_vae: register now
        global _pending
        _pending = True
        register_models(done="gdl_vae")
