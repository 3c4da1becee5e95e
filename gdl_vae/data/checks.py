"""The input contract: what every model and measure accepts as images."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from gdl_vae.data.specs import IMAGE_SHAPE


def check_images(
    x, image_shape: Sequence[int] | None = IMAGE_SHAPE, name: str = "x"
) -> None:
    """Raise ValueError unless `x` is a batch of float images in [0, 1], finite.

    Symbolic tensors (inside a traced function) pass: they were checked eagerly.
    """
    if tf.is_tensor(x) and not hasattr(x, "numpy"):
        return
    if isinstance(x, (list, tuple)):
        raise ValueError(
            f"{name} must be a NumPy array of images; got a Python "
            f"{type(x).__name__} of {len(x)}. Fix: {name} = np.stack({name})."
        )
    arr = np.asarray(x)
    shape = tuple(image_shape) if image_shape is not None else None
    if arr.ndim != 4 or (shape is not None and arr.shape[1:] != shape):
        want = (
            f"(N, {', '.join(map(str, shape))})"
            if shape
            else "(N, height, width, channels)"
        )
        fix = "reshape it"
        if shape is not None:
            if arr.shape == shape:
                fix = f"add a batch axis: {name}[None]"
            elif arr.ndim == 3 and arr.shape[1:] == shape[:2]:
                fix = f"add the channel axis: {name}[..., None]"
            elif arr.ndim == 2 and arr.shape[1] == int(np.prod(shape)):
                fix = f"{name}.reshape(-1, {', '.join(map(str, shape))})"
        raise ValueError(
            f"{name} must be a batch of images of shape {want}; got shape "
            f"{arr.shape}. Fix: {fix}."
        )
    if len(arr) == 0:
        raise ValueError(
            f"{name} holds no images (shape {arr.shape}). Fix: pass at least one."
        )
    if not np.issubdtype(arr.dtype, np.floating):
        hint = " (pixels 0..255)" if arr.dtype == np.uint8 else ""
        raise ValueError(
            f"{name} must hold float pixels in [0, 1]; got dtype {arr.dtype}{hint}. "
            f"Fix: {name} = {name}.astype('float32') / 255."
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        images = np.unique(np.nonzero(bad)[0])
        raise ValueError(
            f"{name} must be finite; got {np.isnan(arr).sum()} NaN and "
            f"{np.isinf(arr).sum()} inf values in {len(images)} images (first: index "
            f"{images[0]}). Fix: drop those images or find where they came from."
        )
    lo, hi = float(arr.min()), float(arr.max())
    if hi > 1.0 or lo < 0.0:
        fix = (
            f"{name} = {name} / 255" if hi > 1.0 and lo >= 0.0 else "rescale to [0, 1]"
        )
        raise ValueError(
            f"{name} must hold pixels in [0, 1]; got values from {lo:g} to {hi:g}. "
            f"Fix: {fix}."
        )
