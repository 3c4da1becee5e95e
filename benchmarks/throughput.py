"""Part 1, throughput: images per second and seconds per epoch of the Keras
example's recipe and of gdl_vae, one change at a time, for the same number of
images seen on the same data, as medians of interleaved repeats; each recipe's
achieved GFLOP/s beside this machine's measured float32 peak; a layer-by-layer
profile says where each step's time goes."""

from __future__ import annotations

import statistics
import time

import gdl_vae  # first: TensorFlow, imported next, then comes without its log lines

# isort: split
import keras
import numpy as np
import tensorflow as tf

from benchmarks import flops, recipes
from benchmarks.settings import Settings
from benchmarks.training import train
from gdl_vae.data import held_out_images
from gdl_vae.runs import environment

LADDER = (  # (label, recipe, build options): one change per row
    ("keras_example, as published", recipes.KERAS_EXAMPLE, {}),
    (
        "keras_example + steps_per_execution 32",
        recipes.KERAS_EXAMPLE,
        {"steps_per_execution": 32},
    ),
    ("keras_example networks + gdl_vae loss", recipes.KERAS_EXAMPLE_LOGITS, {}),
    (
        "gdl_vae conv, steps_per_execution 1",
        recipes.GDL_CONV,
        {"steps_per_execution": 1},
    ),
    ("gdl_vae conv (default)", recipes.GDL_CONV, {}),
    ("gdl_vae conv + XLA", recipes.GDL_CONV, {"jit_compile": True}),
    (
        "gdl_vae conv + mixed_bfloat16",
        recipes.GDL_CONV,
        {"dtype_policy": "mixed_bfloat16"},
    ),
    ("gdl_vae dense", recipes.GDL_DENSE, {}),
    ("keras_example, as published, again", recipes.KERAS_EXAMPLE, {}),
)


def _timed(fn, repeats: int) -> float:
    fn()
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats * 1000


def layer_profile(model: keras.Model, batch: np.ndarray, repeats: int) -> list[dict]:
    """Milliseconds of forward + backward for each layer, at the batch's size.

    Each layer gets its real input (from the trained networks, so activations
    are realistic) and the gradient of its output's sum with respect to its
    weights and, except for the first layer, its input.
    """
    rows = []
    z = model.encoder(batch)[0]
    for part, network, inputs in (
        ("encoder", model.encoder, batch),
        ("decoder", model.decoder, z),
    ):
        for layer in network.layers:
            if not layer.weights:
                continue
            layer_input = keras.Model(network.inputs, layer.input)(inputs)
            first = layer.input is network.inputs[0]

            def step(layer=layer, h=layer_input, first=first):
                with tf.GradientTape() as tape:
                    if not first:
                        tape.watch(h)
                    out = tf.reduce_sum(layer(h))
                sources = layer.trainable_weights if first else [h, *layer.weights]
                return tape.gradient(out, sources)

            rows.append(
                {
                    "network": part,
                    "layer": f"{type(layer).__name__} {tuple(layer.output.shape[1:])}",
                    "ms": round(_timed(tf.function(step), repeats), 2),
                }
            )
    x = tf.constant(batch)
    whole = tf.function(model.train_step)
    rows.append(
        {
            "network": "-",
            "layer": "whole train_step",
            "ms": round(_timed(lambda: whole(x), repeats), 2),
        }
    )
    return rows


def pipeline_ms(x_train: np.ndarray, batch_size: int) -> float:
    """Milliseconds per batch for the dynamic-binarization tf.data pipeline alone."""
    pipeline = gdl_vae.make_dataset(x_train, batch_size, "dynamic", seed=0)
    for _ in pipeline:  # warm-up pass
        pass
    start, n = time.perf_counter(), 0
    for _ in range(2):
        for _ in pipeline:
            n += 1
    return round((time.perf_counter() - start) / n * 1000, 2)


def throughput(data, settings: Settings) -> dict:
    """Every ladder row trained settings.throughput_repeats times, in rounds
    (row 1, 2, ... then again), so that a machine that slows down for a while
    slows every row alike; each row's speed is the median of its rounds, with
    their spread. Held-out -ELBO from the first round; achieved GFLOP/s from the
    layers' count (benchmarks.flops) beside the machine's measured peak."""
    x_test = held_out_images(data.x_test, "dynamic")
    peaks = flops.peak(repeats=max(3, settings.throughput_repeats))
    best_peak = max(p["gflops"] for p in peaks.values())
    print(
        "  float32 peak: "
        + ", ".join(f"{name} {p['gflops']} GFLOP/s" for name, p in peaks.items()),
        flush=True,
    )
    rows = [
        {"row": label, "recipe": recipe.name, "options": options, "rounds": []}
        for label, recipe, options in LADDER
    ]
    models = {}
    for round_ in range(settings.throughput_repeats):
        for row, (_, recipe, options) in zip(rows, LADDER, strict=True):
            model, stats = train(
                recipe,
                data.x_train,
                "dynamic",
                images_seen=settings.throughput_images,
                **options,
            )
            row["rounds"].append(stats["seconds_per_epoch"])
            if round_:
                continue
            vae = recipes.as_gdl_vae(model, recipe)
            row.update(stats)
            row["neg_elbo"] = round(
                -float(vae.elbo(x_test, n_samples=10, seed=0).mean()), 2
            )
            row.update(flops.training_flops(vae))
            models.setdefault(recipe.name, model)
        print(f"  round {round_ + 1} of {settings.throughput_repeats} done", flush=True)
    for row in rows:
        row["seconds_per_epoch"] = round(statistics.median(row["rounds"]), 3)
        row["images_per_second"] = round(row["train_images"] / row["seconds_per_epoch"])
        row["gflops"] = round(
            row["train_flops_per_image"] * row["images_per_second"] / 1e9, 1
        )
        row["peak_share"] = round(row["gflops"] / best_peak, 3)
        print(
            f"  {row['row']}: {row['seconds_per_epoch']} s/epoch "
            f"({min(row['rounds'])}-{max(row['rounds'])}), "
            f"{row['images_per_second']} images/s, {row['gflops']} GFLOP/s "
            f"({row['peak_share']:.0%} of peak), -ELBO {row['neg_elbo']}",
            flush=True,
        )
    reference = np.mean(
        [
            r["seconds_per_epoch"]
            for r in rows
            if r["recipe"] == "keras_example" and not r["options"]
        ]
    )
    for row in rows:
        row["speedup"] = round(reference / row["seconds_per_epoch"], 2)
    batch = gdl_vae.binarize(data.x_train[:128], "dynamic", seed=0)
    repeats = settings.profile_repeats
    profile = {
        name: layer_profile(models[recipe.name], batch, repeats)
        for name, recipe in (
            ("keras_example", recipes.KERAS_EXAMPLE),
            ("gdl_vae conv", recipes.GDL_CONV),
            ("gdl_vae dense", recipes.GDL_DENSE),
        )
    }
    env = environment()
    return {
        # This part's own machine and date: a run of some parts keeps the header
        # of the last full run.
        "machine": env["machine"],
        "date": env["date"],
        "images_seen": rows[0]["images_seen"],
        "epochs": rows[0]["epochs"],
        "batch_size": 128,
        "repeats": settings.throughput_repeats,
        "peak": peaks,
        "rows": rows,
        "profile_batch": 128,
        "profile": profile,
        "pipeline_ms_per_batch": pipeline_ms(data.x_train, 128),
    }
