"""The checks of a number, in plain Python, with the same words everywhere.

The models' configs (configs.py) check their options with them, and the
command line checks its counts, before TensorFlow or any data is loaded.
"""

from __future__ import annotations

import math


def count(value, name: str = "n", fix: str = "") -> int:
    """value as an int, or a ValueError unless it is a whole number >= 1."""
    whole = isinstance(value, int) or type(value).__name__.startswith(("int", "uint"))
    if isinstance(value, bool) or not whole or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1; got {value!r}.{fix}")
    return int(value)


def finite(value, name: str, low: float, high: float = math.inf, fix: str = ""):
    """value, or a ValueError unless it is a finite number in [low, high]."""
    if not (isinstance(value, (int, float)) and math.isfinite(value)):
        raise ValueError(f"{name} must be a finite number; got {value!r}.{fix}")
    if not low <= value <= high:
        where = f">= {low:g}" if high == math.inf else f"in [{low:g}, {high:g}]"
        raise ValueError(f"{name} must be {where}; got {value!r}.{fix}")
    return value
