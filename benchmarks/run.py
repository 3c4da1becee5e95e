"""Every performance figure the README quotes, measured in one run.

1. throughput: images per second and seconds per epoch of the Keras example's
   recipe and of gdl_vae, one change at a time, all for the same number of
   images seen on the same data; a layer-by-layer profile says where each
   step's time goes.
2. quality:    each recipe trained for the same wall-clock budget; held-out
   negative ELBO and importance-weighted NLL (k=1000), in nats, under dynamic
   and static binarization.
3. literature: the kit's latent-32 recipes (VAE, IWAE, VampPrior, the best
   combination) on dynamically binarized MNIST, each with its NLL (k=5000,
   all 10,000 test images), beside the published one-stochastic-layer rows.
4. scale:      full Fashion-MNIST (60,000 images): seconds per epoch and NLL.
5. notebooks:  each notebook's wall time in full and in quick mode.

    python -m benchmarks.run            # about 4 hours on 2 CPU cores
    python -m benchmarks.run --quick    # a few minutes: a smoke test

The full run writes benchmarks/results.json and benchmarks/results.md, and puts
the Markdown into README.md between the benchmark markers. A quick run writes
the same files into --out (a temporary folder unless given) and never the README.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import gdl_vae  # first: TensorFlow, imported next, then comes without its log lines

# isort: split
import keras
import numpy as np
import tensorflow as tf

from benchmarks import recipes
from benchmarks.recipes import Recipe
from benchmarks.report import markdown, update_readme
from gdl_vae.callbacks import KeepBest, TimeDecay
from gdl_vae.data import held_out_images
from gdl_vae.runs import environment
from gdl_vae.training import train as train_model

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("throughput", "quality", "literature", "scale", "notebooks")
BURDA = "Burda, Grosse & Salakhutdinov 2016, Table 1"
PYTHAE = "Chadebec et al. 2022 (pythae), benchmark"
PUBLISHED = (  # one stochastic layer, dynamically binarized MNIST, NLL in nats
    {"model": "VAE", "source": BURDA, "epochs": 3280, "nll": 86.76},
    {"model": "IWAE, k = 5", "source": BURDA, "epochs": 3280, "nll": 85.54},
    {"model": "IWAE, k = 50", "source": BURDA, "epochs": 3280, "nll": 84.78},
    {
        "model": "VampPrior",
        "source": "Tomczak & Welling 2018, Table 2",
        "epochs": None,
        "nll": 85.57,
    },
    {"model": "VAE", "source": PYTHAE, "epochs": None, "nll": 89.78},
    {"model": "IWAE", "source": PYTHAE, "epochs": None, "nll": 86.82},
    {"model": "VampPrior", "source": PYTHAE, "epochs": None, "nll": 85.79},
)
GOAL_NLL = 86.76  # Burda et al.'s one-layer VAE ...
GOAL_MINUTES = 60  # ... within this much training on the benchmark machine


@dataclass(frozen=True)
class Settings:
    """How much of each part to run; --quick shrinks everything."""

    n_train: int | None  # None: the whole training split
    n_test: int | None
    throughput_images: int  # images seen per throughput row (whole epochs)
    budget_s: float  # per recipe, part 2
    iwae_k: int
    iwae_images: int
    literature_budget_s: float  # per recipe of the literature table
    literature_long_s: float  # for the best combination
    literature_k: int
    curve_every_s: float  # NLL-against-time points of the best combination
    curve_k: int
    curve_images: int
    scale_epochs: int
    scale_train: int | None
    scale_test_iwae: int
    scale_iwae_k: int
    profile_repeats: int  # timed passes per layer in the throughput profile
    notebooks: int | None  # how many notebooks to time (None: all)
    notebook_modes: tuple[str, ...]  # "quick" and/or "full"


FULL = Settings(
    n_train=None,
    n_test=None,
    throughput_images=180_000,
    budget_s=120.0,
    iwae_k=1000,
    iwae_images=1000,
    literature_budget_s=600.0,
    literature_long_s=3600.0,
    literature_k=5000,
    curve_every_s=300.0,
    curve_k=500,
    curve_images=500,
    scale_epochs=10,
    scale_train=None,
    scale_test_iwae=2000,
    scale_iwae_k=1000,
    profile_repeats=20,
    notebooks=None,
    notebook_modes=("quick", "full"),
)
QUICK = Settings(
    n_train=1024,
    n_test=256,
    throughput_images=2_048,
    budget_s=2.0,
    iwae_k=20,
    iwae_images=64,
    literature_budget_s=2.0,
    literature_long_s=3.0,
    literature_k=20,
    curve_every_s=1.0,
    curve_k=10,
    curve_images=32,
    scale_epochs=1,
    scale_train=1024,
    scale_test_iwae=64,
    scale_iwae_k=20,
    profile_repeats=2,
    notebooks=1,
    notebook_modes=("quick",),
)


def train(
    recipe: Recipe,
    x_train: np.ndarray,
    binarization: str,
    *,
    epochs: int | None = None,
    images_seen: int | None = None,
    budget_s: float | None = None,
    keep_best: bool = False,
    seed: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    **build_options,
) -> tuple[keras.Model, dict]:
    """Train one recipe for epochs, images seen or a wall-clock budget."""
    keras.utils.set_random_seed(seed)
    callbacks = list(callbacks)
    if recipe.lr_decay is not None and budget_s is not None:
        callbacks.append(TimeDecay(budget_s, recipe.lr_decay))
    if keep_best:  # a validation slice carved from the training split
        n_val = max(len(x_train) // 16, 64)
        x_val = gdl_vae.binarize(x_train[-n_val:], binarization, seed=seed + 1)
        x_train = x_train[:-n_val]
        callbacks.insert(0, KeepBest(x_val))
    model = recipe.build(seed=seed, **build_options)
    trained = train_model(
        model,
        x_train,
        epochs=epochs,
        images_seen=images_seen,
        budget_s=budget_s,
        batch_size=recipe.batch_size,
        binarization=binarization,
        seed=seed,
        callbacks=callbacks,
    )
    stats = {
        "train_images": len(x_train),
        "epochs": round(trained.images / len(x_train), 2),
        "images_seen": trained.images,
        "train_seconds": round(trained.seconds, 1),
        "first_epoch_seconds": round(trained.epoch_times[0], 2),
        "seconds_per_epoch": round(trained.seconds_per_epoch, 3),
        "images_per_second": round(len(x_train) / trained.seconds_per_epoch),
    }
    if keep_best:
        stats["kept_epoch"] = callbacks[0].best_epoch
    return model, stats


def held_out(
    vae: gdl_vae.VAE, x: np.ndarray, k: int, iwae_images: int, seed: int = 0
) -> dict:
    """Negative ELBO on all of x and negative IWAE bound on its first images."""
    start = time.perf_counter()
    nelbo = -float(vae.elbo(x, n_samples=10, seed=seed).mean())
    niwae = -float(vae.iwae_bound(x[:iwae_images], k=k, seed=seed).mean())
    return {
        "neg_elbo": round(nelbo, 2),
        "neg_iwae": round(niwae, 2),
        "iwae_k": k,
        "iwae_images": min(iwae_images, len(x)),
        "eval_seconds": round(time.perf_counter() - start, 1),
    }


# -- 1. throughput ---------------------------------------------------------

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
    x_test = held_out_images(data.x_test, "dynamic")
    rows, models = [], {}
    for label, recipe, options in LADDER:
        model, stats = train(
            recipe,
            data.x_train,
            "dynamic",
            images_seen=settings.throughput_images,
            **options,
        )
        vae = recipes.as_gdl_vae(model, recipe)
        stats["neg_elbo"] = round(
            -float(vae.elbo(x_test, n_samples=10, seed=0).mean()), 2
        )
        rows.append({"row": label, "recipe": recipe.name, "options": options, **stats})
        models.setdefault(recipe.name, model)
        print(
            f"  {label}: {stats['seconds_per_epoch']} s/epoch, "
            f"{stats['images_per_second']} images/s, -ELBO {stats['neg_elbo']}",
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
        )
    }
    return {
        "images_seen": rows[0]["images_seen"],
        "epochs": rows[0]["epochs"],
        "batch_size": 128,
        "rows": rows,
        "profile_batch": 128,
        "profile": profile,
        "pipeline_ms_per_batch": pipeline_ms(data.x_train, 128),
    }


# -- 2. quality at equal time ------------------------------------------------

QUALITY = (  # (recipe, gdl_vae's own recipe?)
    (recipes.KERAS_EXAMPLE, False),
    (recipes.TF_CVAE_TUTORIAL, False),
    (recipes.GDL_CONV, True),
    (recipes.GDL_DENSE, True),
    (recipes.PYTORCH_EXAMPLE, False),
    (recipes.GDL_DENSE_20, True),
)


def quality(data, settings: Settings) -> dict:
    rows = []
    for binarization in ("dynamic", "static"):
        x_test = held_out_images(data.x_test, binarization)
        for recipe, ours in QUALITY:
            model, stats = train(
                recipe,
                data.x_train,
                binarization,
                budget_s=settings.budget_s,
                keep_best=ours,
            )
            scores = held_out(
                recipes.as_gdl_vae(model, recipe),
                x_test,
                settings.iwae_k,
                settings.iwae_images,
            )
            rows.append(
                {
                    "recipe": recipe.name,
                    "source": recipe.source,
                    "gdl_vae": ours,
                    "latent_dim": recipe.latent_dim,
                    "binarization": binarization,
                    **stats,
                    **scores,
                }
            )
            print(
                f"  {binarization} {recipe.name}: {stats['epochs']} epochs, "
                f"-ELBO {scores['neg_elbo']}, -IWAE {scores['neg_iwae']}",
                flush=True,
            )
    verdicts = []
    for binarization in ("dynamic", "static"):
        for latent in sorted({r["latent_dim"] for r in rows}):
            group = [
                r
                for r in rows
                if r["binarization"] == binarization and r["latent_dim"] == latent
            ]
            best = min((r for r in group if r["gdl_vae"]), key=lambda r: r["neg_iwae"])
            rival = min(
                (r for r in group if not r["gdl_vae"]), key=lambda r: r["neg_iwae"]
            )
            verdicts.append(
                {
                    "binarization": binarization,
                    "latent_dim": latent,
                    "best_gdl_vae": best["recipe"],
                    "best_reference": rival["recipe"],
                    "margin_nats": round(rival["neg_iwae"] - best["neg_iwae"], 2),
                }
            )
    return {"budget_s": settings.budget_s, "rows": rows, "verdicts": verdicts}


# -- 3. literature -----------------------------------------------------------

# (key, recipe, long): a long row trains for literature_long_s, the others for
# literature_budget_s.
LITERATURE = (
    ("vae", recipes.GDL_DENSE_32, False),
    ("iwae5", recipes.GDL_IWAE_5, False),
    ("dreg5", recipes.GDL_DREG_5, False),
    ("iwae50", recipes.GDL_IWAE_50, False),
    ("dreg50", recipes.GDL_DREG_50, False),
    ("vamp", recipes.GDL_VAMP, False),
    ("best", recipes.GDL_BEST, True),
)


class BoundCurve(keras.callbacks.Callback):
    """-IWAE on a few held-out images every `every_s` seconds of training.

    The points show how far a recipe is from its goal and whether it still
    improves. The time spent here is left out of `seconds` (but not out of the
    training budget, which the EpochClock keeps).
    """

    def __init__(self, x: np.ndarray, k: int, every_s: float):
        super().__init__()
        self.x, self.k, self.every_s = x, k, every_s
        self.points: list[dict] = []

    def on_train_begin(self, logs=None):
        self.start, self.paused, self.next = time.perf_counter(), 0.0, self.every_s

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.start - self.paused
        if seconds >= self.next:
            self.record(epoch + 1, seconds)
            self.next += self.every_s

    def on_train_end(self, logs=None):
        self.record(None, time.perf_counter() - self.start - self.paused)

    def record(self, epoch: int | None, seconds: float) -> None:
        start = time.perf_counter()
        bound = self.model.iwae_bound(self.x, k=self.k, seed=0).mean()
        self.points.append(
            {"epoch": epoch, "seconds": round(seconds, 1), "neg_iwae": -float(bound)}
        )
        self.paused += time.perf_counter() - start


def literature(
    data, settings: Settings, only: Sequence[str] | None = None, previous=None
) -> dict:
    """The literature table: each recipe's NLL beside the published rows.

    only: train just these rows (keys of LITERATURE); the others keep their
    figures from previous.
    """
    keys = [key for key, _, _ in LITERATURE]
    if only and set(only) - set(keys):
        raise ValueError(f"literature rows are {keys}; got {sorted(only)}")
    kept = {r["key"]: r for r in (previous or {}).get("rows", []) if r["key"] in keys}
    x_test = held_out_images(data.x_test, "dynamic")
    rows = []
    for key, recipe, long in LITERATURE:
        if only and key not in only:
            if key in kept:
                rows.append(kept[key])
            continue
        callbacks = []
        if long:
            x_curve = x_test[: settings.curve_images]
            callbacks.append(
                BoundCurve(x_curve, settings.curve_k, settings.curve_every_s)
            )
        budget = settings.literature_long_s if long else settings.literature_budget_s
        model, stats = train(
            recipe,
            data.x_train,
            "dynamic",
            budget_s=budget,
            keep_best=True,
            callbacks=callbacks,
        )
        scores = held_out(model, x_test, settings.literature_k, len(x_test))
        row = {
            "key": key,
            "recipe": recipe.name,
            "source": recipe.source,
            "batch_size": recipe.batch_size,
            "lr_decay": recipe.lr_decay,
            "budget_s": budget,
            **stats,
            **scores,
        }
        if long:
            row["curve"] = callbacks[0].points
            row["curve_k"] = settings.curve_k
            row["curve_images"] = len(x_curve)
        rows.append(row)
        print(
            f"  {recipe.name}: {stats['epochs']} epochs in {stats['train_seconds']} "
            f"s, -ELBO {scores['neg_elbo']}, NLL {scores['neg_iwae']} (evaluation "
            f"{scores['eval_seconds']} s)",
            flush=True,
        )
    return {
        "data_source": data.source,
        "n_train": len(data.x_train),
        "n_test": len(x_test),
        "rows": rows,
        "published": PUBLISHED,
        "goal": {"nll": GOAL_NLL, "minutes": GOAL_MINUTES},
    }


# -- 4. scale: full Fashion-MNIST --------------------------------------------


def scale(settings: Settings) -> dict:
    try:
        data = gdl_vae.load_dataset("fashion_mnist")
    except (FileNotFoundError, ValueError, OSError) as error:
        print(f"  skipped: {error}")
        return {"skipped": str(error)}
    x_train = data.x_train[: settings.scale_train]
    x_test = held_out_images(data.x_test[: settings.n_test], "dynamic")
    rows = []
    for recipe in (recipes.GDL_CONV, recipes.GDL_DENSE_32):
        model, stats = train(recipe, x_train, "dynamic", epochs=settings.scale_epochs)
        scores = held_out(
            model, x_test, settings.scale_iwae_k, settings.scale_test_iwae
        )
        rows.append({"recipe": recipe.name, **stats, **scores})
        print(
            f"  {recipe.name}: {stats['seconds_per_epoch']} s/epoch, "
            f"-IWAE {scores['neg_iwae']}",
            flush=True,
        )
    return {
        "data_source": data.source,
        "n_train": len(x_train),
        "n_test": len(x_test),
        "rows": rows,
    }


# -- 5. notebooks --------------------------------------------------------------


def notebooks(
    settings: Settings,
    save: bool = False,
    only: Sequence[str] | None = None,
    previous: dict | None = None,
) -> dict:
    """Wall time of each notebook run top to bottom (nbclient).

    save: write each full run back into its .ipynb, so that the committed
    outputs are the run whose time is reported. only: run just these notebooks
    (file names or stems); the others keep their rows from previous.
    """
    import nbclient
    import nbformat

    paths = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    paths = paths[: settings.notebooks]
    rows = []
    if only:
        unknown = set(only) - {p.name for p in paths} - {p.stem for p in paths}
        if unknown:
            raise ValueError(f"no notebook named {sorted(unknown)}")
        paths = [p for p in paths if p.name in only or p.stem in only]
        run = {p.name for p in paths}
        rows = [r for r in (previous or {}).get("rows", []) if r["notebook"] not in run]
    # No widget front end here: the committed outputs hold the explorer's static
    # figure, which the website and GitHub can show.
    os.environ["GDL_VAE_NO_WIDGETS"] = "1"
    for path in paths:
        for mode in settings.notebook_modes:
            os.environ["GDL_VAE_QUICK"] = "1" if mode == "quick" else "0"
            notebook = nbformat.read(path, as_version=4)
            client = nbclient.NotebookClient(
                notebook,
                timeout=1800,
                resources={"metadata": {"path": str(path.parent)}},
            )
            start = time.perf_counter()
            client.execute()
            seconds = round(time.perf_counter() - start, 1)
            if save and mode == "full":
                nbformat.write(notebook, path)
            rows.append({"notebook": path.name, "mode": mode, "seconds": seconds})
            print(f"  {path.name} ({mode}): {seconds} s", flush=True)
    os.environ.pop("GDL_VAE_QUICK", None)
    os.environ.pop("GDL_VAE_NO_WIDGETS", None)
    modes = {mode: i for i, mode in enumerate(settings.notebook_modes)}
    rows.sort(key=lambda r: (r["notebook"], modes.get(r["mode"], len(modes))))
    return {"rows": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke test")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--out", help="folder for results.json and results.md")
    parser.add_argument(
        "--save-notebooks",
        action="store_true",
        help="write each notebook's full run into its .ipynb (the committed outputs)",
    )
    parser.add_argument(
        "--notebooks",
        nargs="+",
        metavar="NAME",
        help="with --parts notebooks: run only these notebooks (e.g. "
        "04_regularization); the others keep their rows in results.json",
    )
    parser.add_argument(
        "--rows",
        nargs="+",
        metavar="KEY",
        help="with --parts literature: train only these rows ("
        + ", ".join(key for key, _, _ in LITERATURE)
        + "); the others keep their figures in results.json",
    )
    parser.add_argument(
        "--report",
        action="store_true",
        help="run nothing: rewrite results.md (and the README) from results.json",
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    out = Path(args.out) if args.out else None
    if out is None:
        out = Path(__file__).parent
        if args.quick:
            out = Path(tempfile.mkdtemp(prefix="gdl_vae-bench-"))
    out.mkdir(parents=True, exist_ok=True)

    data = gdl_vae.load_dataset("mnist")
    data = replace(
        data,
        x_train=data.x_train[: settings.n_train],
        x_test=data.x_test[: settings.n_test],
    )
    previous = out / "results.json"
    result = json.loads(previous.read_text()) if previous.exists() else {}
    if args.report and not result:
        parser.error(f"--report needs {previous}; run the benchmark first.")
    if not args.report:  # a report keeps the machine and date of its figures
        result.update(
            command="python -m benchmarks.run" + (" --quick" if args.quick else ""),
            settings=asdict(settings),
            data_source=f"{data.source}; {len(data.x_train):,} training, "
            f"{len(data.x_test):,} held-out images",
            environment=environment(),
        )
    runners = {
        "throughput": lambda: throughput(data, settings),
        "quality": lambda: quality(data, settings),
        "literature": lambda: literature(
            data, settings, only=args.rows, previous=result.get("literature")
        ),
        "scale": lambda: scale(settings),
        "notebooks": lambda: notebooks(
            settings,
            save=args.save_notebooks,
            only=args.notebooks,
            previous=result.get("notebooks"),
        ),
    }
    for name in [] if args.report else args.parts:
        print(f"{name}:", flush=True)
        start = time.perf_counter()
        result[name] = runners[name]()
        result[name]["part_seconds"] = round(time.perf_counter() - start, 1)
        (out / "results.json").write_text(json.dumps(result, indent=1) + "\n")
    text = markdown(result)
    (out / "results.md").write_text(text)
    print(text)
    if out.resolve() == Path(__file__).parent.resolve():
        update_readme(text)
        print("README.md updated")
    print(f"wrote {out / 'results.json'} and {out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
