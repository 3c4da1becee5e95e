"""What `gdl-vae train`, `sample` and `evaluate` do, once cli.py has checked
their arguments.

`train` works on a run folder under its lock and writes nothing until every
option is checked, the data is loaded and the model is built. It then commits
one checkpoint per epoch and, when training ends, the results of that model
(run_folder.py says which files are which).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from gdl_vae import checkpoints, run_folder
from gdl_vae.cli import run_config


def _load(name: str, data_dir: str | None):
    """load_dataset, printing its source."""
    from gdl_vae.data import load_dataset

    data = load_dataset(name, data_dir)
    print(f"data: {data.source}")
    return data


def train(args: argparse.Namespace) -> int:
    config, options = run_config(args)
    out = Path(args.out or Path("runs") / f"{args.model}-{args.dataset}-z"
               f"{config['latent_dim']}")  # fmt: skip
    run_folder.check_out(out, args.overwrite)
    locks = []  # released however the command ends
    try:
        if out.is_dir():
            locks.append(run_folder.Lock(out, "train").acquire())
        return _train(args, config, options, out, locks)
    finally:
        for lock in locks:
            lock.release()


def _train(args, config: dict, options: dict, out: Path, locks: list) -> int:
    checkpoint, state, note = None, {}, ""
    if locks and not args.overwrite:
        checkpoint, state, note = checkpoints.resumable(out, config)
    done = state.get("epoch", 0)
    if checkpoint is not None and done >= args.epochs and checkpoints.finished(out):
        if not (out / "config.json").exists():
            run_folder.write_json(out / "config.json", state["config"])
        print(f"{out}: already trained for {done} epochs; nothing to do.")
        print("Pass a larger --epochs to train further, or --overwrite to start over.")
        return 0

    import keras

    from gdl_vae import runs
    from gdl_vae.data import held_out_images
    from gdl_vae.models import build_model
    from gdl_vae.precision import policy_and_reason, resolve_policy

    data = _load(args.dataset, args.data_dir)
    x_train = data.x_train[: args.limit] if args.limit else data.x_train
    x_test = held_out_images(data.x_test, config["binarization"], seed=0)
    config["image_shape"] = list(x_train.shape[1:])
    keras.utils.set_random_seed(args.seed)
    policy = resolve_policy(args.dtype_policy)
    if args.dtype_policy == "auto" and checkpoint is None:
        print(f"dtype policy {policy}: {policy_and_reason()[1]}")
    if checkpoint is not None:
        model = runs.load_checkpoint(checkpoint)
    else:
        model = build_model(
            args.model, config["latent_dim"], config["architecture"],
            image_shape=tuple(config["image_shape"]),
            learning_rate=config["learning_rate"], dtype_policy=policy,
            seed=args.seed, **options,
        )  # fmt: skip

    # Everything is checked and built: from here on the command writes.
    locked = bool(locks)
    if args.overwrite and locked and any(out.iterdir()):
        print(f"moved the old run to {run_folder.move_aside(out)}")
        locked = False  # the lock went with it: take one on the new folder
    if not locked:
        try:
            out.mkdir(parents=True)
        except FileExistsError:
            raise ValueError(
                f"{out} appeared while this command was starting (another gdl-vae "
                "on the same --out?). Fix: run the command again."
            ) from None
        locks.append(run_folder.Lock(out, "train").acquire())
    run_folder.remove_partials(out)
    if note:
        checkpoints.restore_previous(out)
        print(f"note: {note}; resuming from {run_folder.PREVIOUS} (epoch {done})")
    if done < args.epochs:
        run_folder.clear_results(out)
    if run_folder.read_json(out / "config.json") != config:
        run_folder.write_json(out / "config.json", config)

    history = {key: list(values) for key, values in state.get("history", {}).items()}
    film = runs.training_film(model, x_test, args.seed)
    trained = None
    try:
        if done < args.epochs:
            if checkpoint is not None:
                print(f"resuming {out} from epoch {done}")
            print(
                f"training {args.model} (latent {config['latent_dim']}, "
                f"{config['architecture']}, {policy or 'float32'}) on "
                f"{len(x_train):,} images for {args.epochs} epochs"
            )
            trained = _fit(args, model, x_train, x_test, config, out, history, film)
        else:
            print(f"finishing {out}: trained for {done} epochs, results not written")
        _finish(
            args,
            config,
            out,
            model,
            data,
            x_train,
            x_test,
            policy,
            history,
            film,
            trained,
        )
    except KeyboardInterrupt:
        _, saved, _ = checkpoints.find_checkpoint(out)
        saved = saved.get("epoch", 0)
        what = "resume" if saved < args.epochs else "finish"
        print(
            f"\ninterrupted: {saved} epochs saved in {out / run_folder.CHECKPOINT}; "
            f"run the same command again to {what}."
        )
        return 130
    return 0


def _fit(args, model, x_train, x_test, config, out, history, film):
    from gdl_vae import runs, training

    done = len(history.get("loss", []))
    try:
        return training.train(
            model, x_train, epochs=args.epochs, batch_size=args.batch_size,
            binarization=config["binarization"], seed=args.seed,
            validation_data=x_test,
            callbacks=[runs.Checkpoint(out, history, config), film],
            initial_epoch=done, verbose=1 if sys.stdout.isatty() else 2,
        )  # fmt: skip
    except FloatingPointError as error:
        saved = len(history.get("loss", []))
        raise ValueError(
            f"{error} The last good checkpoint (epoch {saved}) is kept in "
            f"{out / run_folder.CHECKPOINT}. Fix: train again with a smaller "
            "--learning-rate and --overwrite (this run is moved aside), or "
            "another --out."
        ) from None


def _finish(
    args, config, out, model, data, x_train, x_test, policy, history, film, trained
):
    """Held-out figures and the results of the trained model; metrics.json last."""
    from gdl_vae import runs

    run_folder.failpoint("finishing")

    metrics = {
        "model": args.model,
        "dataset": args.dataset,
        "data_source": data.source,
        "n_train": len(x_train),
        "n_test": len(x_test),
        "binarization": config["binarization"],
        "dtype_policy": policy or "float32",
        "epochs": len(history.get("loss", [])),
        "train_seconds_this_session": round(trained.seconds if trained else 0.0, 1),
        **runs.environment(),
    }
    metrics.update(
        runs.held_out_metrics(
            model, x_test, args.iwae_k, seed=args.seed, iwae_images=args.iwae_images
        )
    )
    run_folder.write_json(out / "history.json", history)
    runs.write_figures(model, out, data, x_test, history)
    written = "model.keras, history.json, metrics.json, figures"
    if film.frames:
        film.save(out / run_folder.FILM)
        written += f", {run_folder.FILM} (this session's epochs as a film)"
    run_folder.write_json(out / "metrics.json", metrics)
    print(runs.summary(metrics))
    print(f"wrote {out}/: {written}")


def sample(args: argparse.Namespace) -> int:
    import numpy as np

    from gdl_vae import runs
    from gdl_vae.data import held_out_images

    run = Path(args.run)
    seed = (
        args.seed
        if args.seed is not None
        else int(np.random.SeedSequence().entropy % 2**31)
    )
    name = f"samples-n{args.n}-seed{seed}.png"
    out = Path(args.out) if args.out else run / name
    if out.is_dir():
        out = out / name
    elif not out.suffix:
        out = out.with_suffix(".png")
    if not out.parent.is_dir():
        raise ValueError(
            f"{out.parent} is not a folder. Fix: create it, or pick --out."
        )
    model, config = runs.load_run(run)
    codes = None
    if not model.has_prior:  # its stand-in prior is fitted to held-out codes
        data = _load(config.get("dataset", "mnist"), args.data_dir)
        binarization = config.get("binarization", "dynamic")
        codes = model.codes(held_out_images(data.x_test, binarization, seed=0))
    figure = runs.sample_figure(model, args.n, seed, codes)
    part = run_folder.partial(out)
    figure.savefig(part, dpi=100, format=out.suffix[1:] or "png")
    part.replace(out)
    print(f"wrote {args.n} samples (seed {seed}) to {out}")
    return 0


def evaluate(args: argparse.Namespace) -> int:
    from gdl_vae import runs
    from gdl_vae.data import held_out_images

    run = Path(args.run)
    if not run.is_dir():
        raise ValueError(
            f"{run} is not a folder. Fix: give the folder that `gdl-vae train` "
            "wrote (its --out)."
        )
    lock = run_folder.Lock(run, "evaluate").acquire()
    try:
        metrics_path = run / "metrics.json"
        metrics = run_folder.read_json(metrics_path)
        model, config = runs.load_run(run)
        run_folder.partial(metrics_path).write_text("")  # can it write? Ask now
        run_folder.partial(metrics_path).unlink()
        if metrics.get("epochs") != config.get("epochs"):
            metrics = {}  # figures of an earlier model of this run
        data = _load(config.get("dataset", "mnist"), args.data_dir)
        binarization = config.get("binarization", "dynamic")
        x_test = held_out_images(data.x_test, binarization)
        results = runs.held_out_metrics(
            model, x_test, args.k, seed=args.seed, iwae_images=args.iwae_images
        )
        merged = {
            key: {**metrics.get(key, {}), **results.pop(key)}
            for key in ("iwae", "iwae_images")
            if key in results
        }
        metrics.update(results, n_test=len(x_test), data_source=data.source)
        metrics.update(merged, epochs=config.get("epochs"))
        shown = dict(metrics)
        for key in merged:  # print this call's bound only
            shown[key] = {str(args.k): merged[key][str(args.k)]}
        print(runs.summary(shown))
        try:
            run_folder.write_json(metrics_path, metrics)
        except OSError as error:  # keep what was computed
            kept = Path(tempfile.mkstemp(prefix="gdl-vae-metrics-", suffix=".json")[1])
            kept.write_text(json.dumps(metrics, indent=2) + "\n")
            raise ValueError(
                f"could not write {metrics_path} ({error.strerror or error}); the "
                f"results are kept in {kept}. Fix: free space or permissions, then "
                f"copy that file to {metrics_path}."
            ) from None
    finally:
        lock.release()
    return 0
