"""Command line: `gdl-vae train`, `gdl-vae sample RUN`, `gdl-vae evaluate RUN`.

The models, their options and defaults, the architectures, datasets and dtype
policies all come from the package's registries (models/registry.py,
data/specs.py), read without importing TensorFlow: `gdl-vae --help` is quick.
A run folder holds everything about one model (runs.py). Running the same
`train` command again resumes an interrupted run from its last finished epoch.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from gdl_vae.data.specs import DATASETS
from gdl_vae.models import registry

IWAE_IMAGES = 2_000  # held-out images for the bound after training: k times costlier
FILM = "training.gif"  # what `train` writes beside the figures
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


def _model_options() -> dict[str, tuple[registry.Option, list[str]]]:
    """Each model option once, with the models that take it."""
    options: dict[str, tuple[registry.Option, list[str]]] = {}
    for entry in registry.MODELS.values():
        for option in entry.options:
            options.setdefault(option.name, (option, []))[1].append(entry.name)
    return options


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
    train.add_argument("--dataset", choices=DATASETS, default=DATASETS[0])
    for key, kind in (("latent_dim", int), ("learning_rate", float)):
        defaults = ", ".join(
            f"{e.name} {e.default(key)}" for e in registry.MODELS.values()
        )
        flag = "--" + key.replace("_", "-")
        help = f"default: the model's ({defaults})"
        train.add_argument(flag, type=kind, default=None, help=help)
    train.add_argument(
        "--architecture",
        choices=registry.ARCHITECTURES,
        default=None,
        help=f"default: {registry.COMMON_DEFAULTS['architecture']}",
    )
    for option, names in _model_options().values():
        help = f"{option.help} ({', '.join(names)}; default {option.default})"
        if option.type is bool:  # --dreg / --no-dreg
            kind = {"action": argparse.BooleanOptionalAction}
        else:
            kind = {"type": option.type}
        train.add_argument(option.flag, **kind, default=None, help=help)
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
        "--overwrite", action="store_true", help="delete the run folder and start over"
    )

    sample = commands.add_parser("sample", help="draw new images from a trained run")
    sample.add_argument("run")
    sample.add_argument("--n", type=int, default=64)
    sample.add_argument("--seed", type=int, default=None)
    sample.add_argument(
        "--out", default=None, help="PNG file (default RUN/samples.png)"
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
    try:
        return {"train": train, "sample": sample, "evaluate": evaluate}[args.command](
            args
        )
    except (ValueError, FileNotFoundError) as error:
        print(f"gdl-vae {args.command}: {error}", file=sys.stderr)
        return 2


def run_config(args: argparse.Namespace) -> tuple[dict, dict]:
    """(config, the model's own options) for `train`, defaults filled in."""
    entry = registry.get(args.model)
    taken = {option.name for option in entry.options}
    for name, (option, names) in _model_options().items():
        if name not in taken and getattr(args, name) is not None:
            raise ValueError(
                f"{option.flag} is an option of {', '.join(names)}, not of "
                f"{args.model}. Fix: drop it, or choose --model {names[0]}."
            )
    config = {key: getattr(args, key) for key in RUN_KEYS}
    for key in ("latent_dim", "architecture", "learning_rate"):
        if config[key] is None:
            config[key] = entry.default(key)
    config["binarization"] = BINARIZATION_CHOICES[args.binarization]
    options = {
        o.name: o.default if getattr(args, o.name) is None else getattr(args, o.name)
        for o in entry.options
    }
    return {**config, **options}, options


def _load(name: str, data_dir: str | None):
    """load_dataset, printing its source."""
    from gdl_vae.data import load_dataset

    data = load_dataset(name, data_dir)
    print(f"data: {data.source}")
    return data


def train(args: argparse.Namespace) -> int:
    import keras

    from gdl_vae import runs, training
    from gdl_vae.data import held_out_images
    from gdl_vae.models import build_model
    from gdl_vae.precision import resolve_policy

    config, options = run_config(args)
    out = Path(args.out or Path("runs") / f"{args.model}-{args.dataset}-z"
               f"{config['latent_dim']}")  # fmt: skip
    if args.overwrite and out.exists():
        shutil.rmtree(out)
    runs.check_resumable(out, config)
    history = runs.read_json(out / "history.json")
    done = len(history.get("loss", []))
    if done >= args.epochs and (out / "metrics.json").exists():
        print(f"{out}: already trained for {done} epochs; nothing to do.")
        print("Pass a larger --epochs to train further, or --overwrite to start over.")
        return 0

    data = _load(args.dataset, args.data_dir)
    x_train = data.x_train[: args.limit] if args.limit else data.x_train
    x_test = held_out_images(data.x_test, config["binarization"], seed=0)
    out.mkdir(parents=True, exist_ok=True)
    config["image_shape"] = list(x_train.shape[1:])
    runs.write_json(out / "config.json", config)

    keras.utils.set_random_seed(args.seed)
    policy = resolve_policy(args.dtype_policy)
    if (out / "model.keras").exists():
        model = runs.load_model(out / "model.keras")
        print(f"resuming {out} from epoch {done}")
    else:
        model = build_model(
            args.model, config["latent_dim"], config["architecture"],
            image_shape=tuple(config["image_shape"]),
            learning_rate=config["learning_rate"], dtype_policy=policy,
            seed=args.seed, **options,
        )  # fmt: skip
    print(
        f"training {args.model} (latent {config['latent_dim']}, "
        f"{config['architecture']}, {policy or 'float32'}) on {len(x_train):,} "
        f"images for {args.epochs} epochs"
    )
    film = runs.training_film(model, x_test, args.seed)
    try:
        trained = training.train(
            model, x_train, epochs=args.epochs, batch_size=args.batch_size,
            binarization=config["binarization"], seed=args.seed,
            validation_data=x_test, callbacks=[runs.Checkpoint(out, history), film],
            initial_epoch=done, verbose=1 if sys.stdout.isatty() else 2,
        )  # fmt: skip
    except KeyboardInterrupt:
        finished = len(history.get("loss", []))
        print(f"\ninterrupted: {finished} epochs saved in {out}; rerun to resume.")
        return 130

    metrics = {
        "model": args.model,
        "dataset": args.dataset,
        "data_source": data.source,
        "n_train": len(x_train),
        "n_test": len(x_test),
        "binarization": config["binarization"],
        "dtype_policy": policy or "float32",
        "epochs": len(history.get("loss", [])),
        "train_seconds_this_session": round(trained.seconds, 1),
        **runs.environment(),
    }
    metrics.update(
        runs.held_out_metrics(
            model, x_test, args.iwae_k, seed=args.seed, iwae_images=args.iwae_images
        )
    )
    runs.write_json(out / "metrics.json", metrics)
    runs.write_figures(model, out, data, x_test, history)
    film.save(out / FILM)
    print(runs.summary(metrics))
    print(
        f"wrote {out}/: model.keras, history.json, metrics.json, figures and "
        f"{FILM} (this session's epochs as a film)"
    )
    return 0


def sample(args: argparse.Namespace) -> int:
    from gdl_vae import runs
    from gdl_vae.data import held_out_images

    if args.n < 1:
        raise ValueError(f"--n must be at least 1; got {args.n}.")
    model, config = runs.load_run(args.run)
    codes = None
    if not model.has_prior:  # its stand-in prior is fitted to held-out codes
        data = _load(config.get("dataset", "mnist"), args.data_dir)
        binarization = config.get("binarization", "dynamic")
        codes = model.codes(held_out_images(data.x_test, binarization, seed=0))
    out = Path(args.out or Path(args.run) / "samples.png")
    runs.sample_figure(model, args.n, args.seed, codes).savefig(out, dpi=100)
    print(f"wrote {args.n} samples to {out}")
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from gdl_vae import runs
    from gdl_vae.data import held_out_images

    model, config = runs.load_run(args.run)
    data = _load(config.get("dataset", "mnist"), args.data_dir)
    x_test = held_out_images(data.x_test, config.get("binarization", "dynamic"))
    results = runs.held_out_metrics(
        model, x_test, args.k, seed=args.seed, iwae_images=args.iwae_images
    )
    metrics_path = Path(args.run) / "metrics.json"
    metrics = runs.read_json(metrics_path)
    merged = {
        key: {**metrics.get(key, {}), **results.pop(key)}
        for key in ("iwae", "iwae_images")
        if key in results
    }
    metrics.update(results, n_test=len(x_test), data_source=data.source)
    metrics.update(merged)
    runs.write_json(metrics_path, metrics)
    for key in merged:  # print this call's bound only
        metrics[key] = {str(args.k): merged[key][str(args.k)]}
    print(runs.summary(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
