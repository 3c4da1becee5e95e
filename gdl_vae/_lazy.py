"""Package attributes imported on first use (PEP 562), so importing is cheap."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_exports(
    package: str, exports: Mapping[str, str], modules: Mapping[str, str] | None = None
) -> Callable[[str], object]:
    """A module `__getattr__` that imports `exports[name]` (a module) on first use.

    A name that is itself a submodule of the package (`gdl_vae.measure`) is
    imported too, so `import gdl_vae; gdl_vae.measure.metrics` works; modules
    maps other names to a module elsewhere (`gdl_vae.metrics`, the module's
    name before the package had floors).
    """
    modules = modules or {}

    def __getattr__(name: str) -> object:
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
        elif name in modules:
            value = importlib.import_module(modules[name])
        else:
            try:
                value = importlib.import_module(f"{package}.{name}")
            except ModuleNotFoundError as error:
                if error.name != f"{package}.{name}":
                    raise  # the submodule exists but something it imports does not
                raise AttributeError(
                    f"module {package!r} has no attribute {name!r}"
                ) from None
        return value

    return __getattr__
