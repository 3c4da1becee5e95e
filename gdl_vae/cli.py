"""Command line: `gdl-vae train`, `gdl-vae sample RUN`, `gdl-vae evaluate RUN`.

A run folder holds everything about one model: config.json (how it was made),
model.keras (weights and optimizer state, saved every epoch), history.json,
metrics.json and the figures. Running the same `train` command again resumes
an interrupted run from its last finished epoch.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import time
import warnings
from pathlib import Path

# Options that define a run: resuming with different values would mix two runs.
RUN_KEYS = (
    "model",
    "dataset",
    "latent_dim",
    "architecture",
    "beta",
    "batch_size",
    "learning_rate",
    "binarization",
    "precision",
    "seed",
    "limit",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gdl-vae", description="Train, sample and evaluate autoencoders and VAEs."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model into a run folder")
    train.add_argument("--model", choices=("vae", "ae", "acai"), default="vae")
    train.add_argument("--dataset", choices=("mnist", "fashion_mnist"), default="mnist")
    train.add_argument("--latent-dim", type=int, default=2)
    train.add_argument("--architecture", choices=("conv", "dense"), default="conv")
    train.add_argument("--beta", type=float, default=1.0, help="KL weight (VAE)")
    train.add_argument("--epochs", type=int, default=30)
    train.add_argument("--batch-size", type=int, default=128)
    train.add_argument("--learning-rate", type=float, default=1e-3)
    train.add_argument(
        "--binarization",
        choices=("dynamic", "static", "none"),
        default="dynamic",
        help="dynamic: a fresh Bernoulli draw per batch; static: threshold 0.5",
    )
    train.add_argument(
        "--precision",
        choices=("auto", "float32", "mixed_bfloat16", "mixed_float16"),
        default="auto",
        help="auto picks the fastest safe policy for this hardware",
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--iwae-k", type=int, default=1000, help="samples for the bound")
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

    evaluate = commands.add_parser("evaluate", help="held-out loss terms and bounds")
    evaluate.add_argument("run")
    evaluate.add_argument("--k", type=int, default=1000, help="importance samples")
    evaluate.add_argument("--seed", type=int, default=0)
    evaluate.add_argument("--data-dir", default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    import gdl_vae  # noqa: F401  (quiet TensorFlow import before anything else)

    try:
        return {"train": train, "sample": sample, "evaluate": evaluate}[args.command](
            args
        )
    except (ValueError, FileNotFoundError) as error:
        print(f"gdl-vae {args.command}: {error}", file=sys.stderr)
        return 2


def _load(name: str, data_dir: str | None):
    """load_dataset, printing its source once (its fallback warning says the same)."""
    from gdl_vae import load_dataset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        data = load_dataset(name, data_dir)
    print(f"data: {data.source}")
    return data


def _is_vae(model) -> bool:
    from gdl_vae import VAE

    return isinstance(model, VAE)


def _write_json(path: Path, data: dict) -> None:
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(data, indent=2) + "\n")
    partial.replace(path)


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def _test_images(config: dict, data):
    """Held-out images as the model sees them (a fixed draw if dynamic)."""
    from gdl_vae.data import binarize

    if config["binarization"] == "dynamic":
        return binarize(data.x_test, "dynamic", seed=0)
    if config["binarization"] == "static":
        return binarize(data.x_test, "static")
    return data.x_test


def _environment() -> dict:
    import keras
    import tensorflow as tf
    import tensorflow_probability as tfp

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.date.today().isoformat(),
        "machine": f"{cpu}, {os.cpu_count()} cores",
        "gpus": [d.name for d in tf.config.list_physical_devices("GPU")],
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "tensorflow_probability": tfp.__version__,
        },
    }


def _checkpoint_callback(out: Path, history: dict):
    import keras

    class Checkpoint(keras.callbacks.Callback):
        """Save model (with optimizer state) and history after every epoch."""

        def on_epoch_end(self, epoch, logs=None):
            for key, value in (logs or {}).items():
                history.setdefault(key, []).append(float(value))
            partial = out / "model.part.keras"
            self.model.save(partial)
            partial.replace(out / "model.keras")
            _write_json(out / "history.json", history)

    return Checkpoint()


def train(args: argparse.Namespace) -> int:
    import keras

    from gdl_vae import build_acai, build_autoencoder, build_vae, make_dataset
    from gdl_vae.precision import resolve_policy

    name = f"{args.model}-{args.dataset}-z{args.latent_dim}"
    out = Path(args.out or Path("runs") / name)
    config = {key: getattr(args, key) for key in RUN_KEYS}
    if args.overwrite and out.exists():
        shutil.rmtree(out)
    previous = _read_json(out / "config.json")
    if previous:
        changed = {
            k: (previous.get(k), config[k])
            for k in RUN_KEYS
            if previous.get(k) != config[k]
        }
        if changed:
            what = ", ".join(
                f"{k}: {old!r} -> {new!r}" for k, (old, new) in changed.items()
            )
            raise ValueError(
                f"{out} holds a run made with other options ({what}). Fix: choose "
                "another --out, or add --overwrite to start this one again."
            )
    history = _read_json(out / "history.json")
    done = len(history.get("loss", []))
    if done >= args.epochs and (out / "metrics.json").exists():
        print(f"{out}: already trained for {done} epochs; nothing to do.")
        print("Pass a larger --epochs to train further, or --overwrite to start over.")
        return 0

    data = _load(args.dataset, args.data_dir)
    x_train = data.x_train[: args.limit] if args.limit else data.x_train
    x_test = _test_images(config, data)
    out.mkdir(parents=True, exist_ok=True)
    config["image_shape"] = list(x_train.shape[1:])
    _write_json(out / "config.json", config)

    keras.utils.set_random_seed(args.seed)
    policy = resolve_policy(args.precision)
    if (out / "model.keras").exists():
        model = keras.models.load_model(out / "model.keras")
        print(f"resuming {out} from epoch {done}")
    elif args.model == "vae":
        model = build_vae(
            args.latent_dim, args.architecture, args.beta,
            learning_rate=args.learning_rate, dtype_policy=policy, seed=args.seed,
        )  # fmt: skip
    elif args.model == "acai":
        model = build_acai(
            args.latent_dim, args.architecture,
            learning_rate=args.learning_rate, dtype_policy=policy, seed=args.seed,
        )  # fmt: skip
    else:
        model = build_autoencoder(
            args.latent_dim, args.architecture,
            learning_rate=args.learning_rate, dtype_policy=policy,
        )  # fmt: skip
    print(
        f"training {args.model} (latent {args.latent_dim}, {args.architecture}, "
        f"{policy or 'float32'}) on {len(x_train):,} images for {args.epochs} epochs"
    )
    binarization = None if args.binarization == "none" else args.binarization
    pipeline = make_dataset(x_train, args.batch_size, binarization, seed=args.seed)
    start = time.perf_counter()
    try:
        model.fit(
            pipeline,
            epochs=args.epochs,
            initial_epoch=done,
            validation_data=x_test,
            callbacks=[_checkpoint_callback(out, history)],
            verbose=1 if sys.stdout.isatty() else 2,
        )
    except KeyboardInterrupt:
        finished = len(history.get("loss", []))
        print(f"\ninterrupted: {finished} epochs saved in {out}; rerun to resume.")
        return 130
    seconds = time.perf_counter() - start

    metrics = {
        "model": args.model,
        "dataset": args.dataset,
        "data_source": data.source,
        "n_train": len(x_train),
        "n_test": len(x_test),
        "binarization": args.binarization,
        "precision": policy or "float32",
        "epochs": len(history.get("loss", [])),
        "train_seconds_this_session": round(seconds, 1),
        **_environment(),
    }
    metrics.update(_held_out(model, x_test, args.iwae_k, seed=args.seed))
    if not _is_vae(model):  # an autoencoder or ACAI: no prior to sample
        codes = model.encode(x_test)
        metrics["latent_box"] = [codes.min(axis=0).tolist(), codes.max(axis=0).tolist()]
    _write_json(out / "metrics.json", metrics)
    _figures(model, out, data, x_test, history, metrics.get("latent_box"))
    print(_summary(metrics))
    print(f"wrote {out}/: model.keras, history.json, metrics.json and figures")
    return 0


def _held_out(model, x_test, k: int, seed: int) -> dict:
    """Held-out loss terms; for a VAE also the ELBO and the importance bound."""
    result = {"test": model.evaluate(x_test, verbose=0, return_dict=True)}
    result["test"] = {key: float(value) for key, value in result["test"].items()}
    if _is_vae(model):
        result["elbo"] = float(model.elbo(x_test, seed=seed).mean())
        bound = float(model.iwae_bound(x_test, k=k, seed=seed).mean())
        result["iwae"] = {str(k): bound}
    return result


def _summary(metrics: dict) -> str:
    lines = [f"held-out ({metrics['n_test']:,} images, nats per image):"]
    lines += [f"  {key}: {value:.2f}" for key, value in metrics["test"].items()]
    if "elbo" in metrics:
        lines.append(f"  ELBO: {metrics['elbo']:.2f}")
        for k, bound in metrics["iwae"].items():
            lines.append(f"  importance-weighted bound (k={k}): {bound:.2f}")
    return "\n".join(lines)


def _figures(model, out: Path, data, x_test, history: dict, box) -> None:
    from gdl_vae import plotting

    shown = x_test[:10]
    plotting.reconstruction_grid(
        shown, model.reconstruct(shown), title="held-out digits and reconstructions"
    ).savefig(out / "reconstructions.png", dpi=100)
    _sample_figure(model, 64, 0, box).savefig(out / "samples.png", dpi=100)
    plotting.loss_curves(history).savefig(out / "losses.png", dpi=100)
    if model.latent_dim == 2:
        codes = model.codes(x_test)  # a VAE's posterior means
        plotting.latent_scatter(
            codes, data.y_test, title="held-out images in the latent space"
        ).savefig(out / "latent.png", dpi=100)


def _sample_figure(model, n: int, seed: int | None, box=None):
    import numpy as np

    from gdl_vae import plotting

    if _is_vae(model):
        return plotting.image_grid(
            model.sample(n, seed=seed), ncols=8, title="new images: z ~ N(0, I)"
        )
    # An autoencoder has no prior: decode points drawn uniformly over the box
    # that its held-out codes fill, the "first attempt at generation".
    low, high = box
    z = np.random.default_rng(seed).uniform(low, high, (n, model.latent_dim))
    return plotting.image_grid(
        model.decode(z), ncols=8, title="autoencoder: random codes in the codes' box"
    )


def _load_run(run: str):
    import keras

    path = Path(run)
    if not (path / "model.keras").exists():
        raise FileNotFoundError(
            f"{path} holds no model.keras. Fix: give the folder that `gdl-vae train` "
            "wrote (its --out)."
        )
    return keras.models.load_model(path / "model.keras"), _read_json(
        path / "config.json"
    )


def sample(args: argparse.Namespace) -> int:
    if args.n < 1:
        raise ValueError(f"--n must be at least 1; got {args.n}.")
    model, _ = _load_run(args.run)
    box = _read_json(Path(args.run) / "metrics.json").get("latent_box")
    if box is None and not _is_vae(model):
        raise FileNotFoundError(
            f"{args.run}/metrics.json has no latent_box: train it to the end first."
        )
    out = Path(args.out or Path(args.run) / "samples.png")
    _sample_figure(model, args.n, args.seed, box).savefig(out, dpi=100)
    print(f"wrote {args.n} samples to {out}")
    return 0


def evaluate(args: argparse.Namespace) -> int:
    model, config = _load_run(args.run)
    data = _load(config.get("dataset", "mnist"), args.data_dir)
    x_test = _test_images(config, data)
    results = _held_out(model, x_test, args.k, seed=args.seed)
    metrics_path = Path(args.run) / "metrics.json"
    metrics = _read_json(metrics_path)
    iwae = {**metrics.get("iwae", {}), **results.pop("iwae", {})}
    metrics.update(results, n_test=len(x_test), data_source=data.source)
    if iwae:
        metrics["iwae"] = iwae
    _write_json(metrics_path, metrics)
    if "iwae" in metrics:
        metrics["iwae"] = {str(args.k): iwae[str(args.k)]}
    print(_summary(metrics))
    return 0


if __name__ == "__main__":
    sys.exit(main())
