"""How far a training step is from what this CPU can do: the machine's float32
peak, measured, and the floating-point work of a model, counted from its layers.

`peak` times a large matrix product and a convolution in TensorFlow (medians of
interleaved repeats); `training_flops` counts the multiply-adds of every Dense,
Conv2D and Conv2DTranspose layer of a model's encoder and decoder for one
image and turns them into the floating-point operations of a training step:
2 per multiply-add, and 3 passes (the forward pass, and the backward pass's
two products, for the gradients of the inputs and of the weights). Element-wise
work (activations, the loss, Adam's update) is left out: it is memory-bound and
small beside the products, so the count is a floor and a recipe's share of the
peak an honest lower figure.
"""

from __future__ import annotations

import math
import statistics
import time

import gdl_vae  # noqa: F401  first: TensorFlow then comes without its log lines

# isort: split
import keras
import tensorflow as tf

TRAINING_PASSES = 3  # forward, and backward for the inputs and for the weights


def _seconds(fn, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        result = fn()
    result.numpy()  # wait for the last call
    return (time.perf_counter() - start) / calls


def peak(repeats: int = 5, size: int = 2048) -> dict:
    """GFLOP/s of a float32 matrix product (size x size, squared) and of a 3x3
    convolution at the shapes of the kit's conv encoder (a batch of 128 14x14
    maps, 64 channels in and out); each a median of `repeats` interleaved
    timings, with their spread."""
    a = tf.random.stateless_normal((size, size), seed=(0, 1))
    b = tf.random.stateless_normal((size, size), seed=(0, 2))
    x = tf.random.stateless_normal((128, 14, 14, 64), seed=(0, 3))
    w = tf.random.stateless_normal((3, 3, 64, 64), seed=(0, 4))
    matmul = tf.function(lambda: tf.linalg.matmul(a, b))
    conv = tf.function(lambda: tf.nn.conv2d(x, w, strides=1, padding="SAME"))
    work = {
        "matmul": 2 * size**3,
        "conv": 2 * 128 * 14 * 14 * 3 * 3 * 64 * 64,
    }
    kernels = {"matmul": matmul, "conv": conv}
    for fn in kernels.values():  # trace and warm up
        _seconds(fn, 3)
    timings: dict[str, list[float]] = {name: [] for name in kernels}
    for _ in range(repeats):
        for name, fn in kernels.items():
            calls = max(3, math.ceil(0.5 / max(_seconds(fn, 1), 1e-4)))
            timings[name].append(work[name] / _seconds(fn, calls) / 1e9)
    return {
        name: {
            "gflops": round(statistics.median(values), 1),
            "low": round(min(values), 1),
            "high": round(max(values), 1),
            "repeats": repeats,
        }
        for name, values in timings.items()
    }


def _layer_macs(layer) -> int:
    """Multiply-adds of one layer for one image (0 for a layer without them)."""
    if isinstance(layer, keras.Model):  # a nested network
        return sum(_layer_macs(inner) for inner in layer.layers)
    if isinstance(layer, keras.layers.Dense):
        units_in = int(layer.kernel.shape[0])
        positions = math.prod(int(d) for d in layer.output.shape[1:-1])
        return positions * units_in * layer.units
    if isinstance(layer, keras.layers.Conv2DTranspose):
        height, width, _ = (int(d) for d in layer.input.shape[1:])
        kh, kw, filters, channels = (int(d) for d in layer.kernel.shape)
        return height * width * kh * kw * channels * filters
    if isinstance(layer, keras.layers.Conv2D):
        height, width, _ = (int(d) for d in layer.output.shape[1:])
        kh, kw, channels, filters = (int(d) for d in layer.kernel.shape)
        return height * width * kh * kw * channels * filters
    return 0


def training_flops(model: keras.Model) -> dict:
    """Forward multiply-adds of the encoder and the decoder for one image, and
    the FLOPs of one image's training step (see the module's docstring)."""
    macs = {
        part: sum(_layer_macs(layer) for layer in getattr(model, part).layers)
        for part in ("encoder", "decoder")
    }
    k = getattr(model, "k", 1) or 1  # k samples: the decoder runs k times
    forward = macs["encoder"] + k * macs["decoder"]
    return {
        "encoder_macs": macs["encoder"],
        "decoder_macs": macs["decoder"],
        "train_flops_per_image": 2 * TRAINING_PASSES * forward,
    }
