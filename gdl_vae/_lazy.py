"""Package attributes imported on first use (PEP 562), so importing is cheap."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

from gdl_vae import _quiet


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], object]:
    """A module `__getattr__` that imports `exports[name]` (a module) on first use.

    A name that is itself a submodule of the package (`gdl_vae.evaluation`)
    is imported too, so `import gdl_vae; gdl_vae.evaluation.elbo` works.
    """

    def __getattr__(name: str) -> object:
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
        else:
            try:
                value = importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as error:
                if error.name != f"{package}.{name}":
                    raise  # the submodule exists but something it imports does not
                raise AttributeError(
                    f"module {package!r} has no attribute {name!r}"
                ) from None
        _quiet.register_models()  # if this import brought Keras in
        return value

    return __getattr__
