"""Command line: `gdl-vae train`, `gdl-vae sample RUN`, `gdl-vae evaluate RUN`.

The models, their options and defaults (each model's config,
models/configs.py), the architectures, datasets and dtype policies all come
from the package's registries (models/registry.py, data/specs.py), read without
importing TensorFlow: `gdl-vae --help` is quick. A run folder holds everything
about one model (run_folder.py). Running the same `train` command again resumes
an interrupted run from its last committed epoch. Every number and option is
checked here, before TensorFlow or any data is loaded, and every failure ends
in one line that says what to do; the commands themselves are in commands.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys

from gdl_vae.data import specs
from gdl_vae.models import checks, registry
from gdl_vae.models.configs import ModelConfig, Option

IWAE_IMAGES = 2_000  # held-out images for the bound after training: k times costlier
BINARIZATION_CHOICES = {"dynamic": "dynamic", "static": "static", "none": None}
# Options that define a run, besides the model's own: resuming with different
# values would mix two runs.
RUN_KEYS = (
    "model",
    "dataset",
    "latent_dim",
    "architecture",
    "batch_size",
    "learning_rate",
    "binarization",
    "dtype_policy",
    "seed",
    "limit",
)


def _model_options() -> dict[str, tuple[Option, list[str]]]:
    """Each model option once (its first model's help), with the models that take it."""
    options: dict[str, tuple[Option, list[str]]] = {}
    for entry in registry.MODELS.values():
        for option in entry.options:
            options.setdefault(option.name, (option, []))[1].append(entry.name)
    return options


def _add_option(parser: argparse.ArgumentParser, option: Option, said: str) -> None:
    """One config field as a flag; None (not given) means the model's default."""
    help = f"{option.help} ({said})"
    if option.type is bool:  # --dreg / --no-dreg
        kind = {"action": argparse.BooleanOptionalAction}
    else:
        kind = {"type": option.type, "choices": option.choices or None}
    parser.add_argument(option.flag, **kind, default=None, help=help)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gdl-vae", description="Train, sample and evaluate autoencoders and VAEs."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    models = "; ".join(f"{e.name}: {e.help}" for e in registry.MODELS.values())
    train = commands.add_parser("train", help="train a model into a run folder")
    train.add_argument(
        "--model", choices=list(registry.MODELS), default="vae", help=models
    )
    datasets = specs.names()
    train.add_argument("--dataset", choices=datasets, default=datasets[0])
    for option in ModelConfig.options():  # what every model is built from
        defaults = ", ".join(
            f"{e.name} {e.default(option.name)}" for e in registry.MODELS.values()
        )
        _add_option(train, option, f"default: the model's: {defaults}")
    for option, names in _model_options().values():
        _add_option(train, option, f"{', '.join(names)}; default {option.default}")
    train.add_argument("--epochs", type=int, default=10)
    train.add_argument("--batch-size", type=int, default=128)
    train.add_argument(
        "--binarization",
        choices=list(BINARIZATION_CHOICES),
        default="dynamic",
        help="dynamic: a fresh Bernoulli draw per batch; static: threshold 0.5",
    )
    train.add_argument(
        "--dtype-policy",
        choices=("auto", *registry.DTYPE_POLICIES),
        default="auto",
        help="auto picks the fastest safe policy for this hardware",
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--iwae-k", type=int, default=1000, help="samples for the bound")
    train.add_argument(
        "--iwae-images",
        type=int,
        default=IWAE_IMAGES,
        help=f"held-out images for the bound (default the first {IWAE_IMAGES:,})",
    )
    train.add_argument("--limit", type=int, default=None, help="use N training images")
    train.add_argument("--data-dir", default=None, help="folder holding the dataset")
    train.add_argument("--out", default=None, help="run folder (default runs/NAME)")
    train.add_argument(
        "--overwrite",
        action="store_true",
        help="start the run again; the old run folder is moved to RUN.old-<time>",
    )

    sample = commands.add_parser("sample", help="draw new images from a trained run")
    sample.add_argument("run")
    sample.add_argument("--n", type=int, default=64)
    sample.add_argument("--seed", type=int, default=None)
    sample.add_argument(
        "--out",
        default=None,
        help="PNG file, or a folder (default RUN/samples-n<N>-seed<SEED>.png)",
    )
    sample.add_argument(
        "--data-dir", default=None, help="dataset folder (models without a prior)"
    )

    evaluate = commands.add_parser("evaluate", help="held-out loss terms and bounds")
    evaluate.add_argument("run")
    evaluate.add_argument("--k", type=int, default=1000, help="importance samples")
    evaluate.add_argument(
        "--iwae-images",
        type=int,
        default=None,
        help="held-out images for the bound (default all)",
    )
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--data-dir", default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    name = f"gdl-vae {args.command}"
    try:
        check_arguments(args)
        from gdl_vae import commands  # TensorFlow loads only now

        return getattr(commands, args.command)(args)
    except KeyboardInterrupt:
        print(f"\n{name}: interrupted.", file=sys.stderr)
        return 130
    except OSError as error:  # a file the command could not read or write
        where = f"{error.filename}: " if error.filename else ""
        print(
            f"{name}: {where}{error.strerror or error}. Fix: check that the path "
            "exists and that you may read (and, for a run folder, write) it.",
            file=sys.stderr,
        )
        return 2
    except (ValueError, FloatingPointError) as error:
        print(f"{name}: {' '.join(str(error).split())}", file=sys.stderr)
        return 2


# The largest sample grid `sample` draws: more images are unreadable in one figure.
MAX_SAMPLES = 1024
# Units next to the latent code, per architecture (models/networks.py): the
# layers whose size grows with the latent size, for the memory estimate.
_UNITS_BY_LATENT = {"conv": 256, "dense": 256, "linear": 784}


def check_arguments(args: argparse.Namespace) -> None:
    """Refuse a bad number or option in one line, before TensorFlow or data load."""
    counts = {
        "train": ("epochs", "batch_size", "iwae_k", "iwae_images", "limit"),
        "sample": ("n",),
        "evaluate": ("k", "iwae_images"),
    }[args.command]
    for key in counts:
        value = getattr(args, key)
        if value is not None:
            checks.count(value, "--" + key.replace("_", "-"))
    if args.seed is not None and not 0 <= args.seed < 2**32:
        raise ValueError(f"--seed must be in [0, 2**32); got {args.seed}.")
    if args.command == "sample" and args.n > MAX_SAMPLES:
        raise ValueError(
            f"--n must be at most {MAX_SAMPLES:,} (one figure); got {args.n:,}. "
            "Fix: draw several figures with different --seed."
        )
    if args.command == "train":
        config, _ = run_config(args)
        check_memory(config["latent_dim"], config["architecture"])


def check_memory(latent_dim: int, architecture: str) -> None:
    """Refuse a latent size whose model and evaluation cannot fit in memory;
    warn when they take more than a quarter of it."""
    weights = 3 * _UNITS_BY_LATENT[architecture] * latent_dim  # encoder + decoder
    training = 16 * weights  # float32 weights, gradients and Adam's two moments
    evaluation = (
        4 * 4 * registry.MAX_DECODES * latent_dim
    )  # codes and their log-densities
    need = training + evaluation
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return
    gib = 2**30
    said = (
        f"--latent-dim {latent_dim:,} needs about {need / gib:.1f} GiB "
        f"({training / gib:.1f} GiB to train, {evaluation / gib:.1f} GiB to evaluate) "
        f"of the {memory / gib:.0f} GiB here"
    )
    if need > memory:
        raise ValueError(
            f"{said}. Fix: a latent size of 2 to 64 is what the course uses."
        )
    if need > memory / 4:
        print(f"warning: {said}.", file=sys.stderr)


def run_config(args: argparse.Namespace) -> tuple[dict, dict]:
    """(config, the model's own options) for `train`, defaults filled in and
    every option checked by the model's config (models/configs.py)."""
    entry = registry.get(args.model)
    taken = {option.name for option in entry.options}
    for name, (option, names) in _model_options().items():
        if name not in taken and getattr(args, name) is not None:
            raise ValueError(
                f"{option.flag} is an option of {' and '.join(names)}, not of "
                f"{args.model}. Fix: drop it, or choose --model {names[0]}."
            )
    given = {
        o.name: getattr(args, o.name)
        for o in entry.config.options()
        if getattr(args, o.name) is not None
    }
    try:
        model_config = entry.config(**given)
    except ValueError as error:  # name the flags, not the arguments
        message = str(error)
        for option in entry.config.options():
            message = re.sub(rf"\b{option.name}\b", option.flag, message)
        raise ValueError(message) from None
    config = {key: getattr(args, key) for key in RUN_KEYS}
    config.update(dataclasses.asdict(model_config))
    config["binarization"] = BINARIZATION_CHOICES[args.binarization]
    options = model_config.model_options()
    return {**config, **options}, options


if __name__ == "__main__":
    sys.exit(main())
