"""A run folder's model and figures: the TensorFlow side of run_folder.py.

`gdl-vae train`, `sample` and `evaluate` use these: the callback that commits a
checkpoint after every epoch, loading a run, its held-out figures and summary.
The folder's layout and its rules (one checkpoint committed as a unit, results
of one model, a lock) are in run_folder.py.
"""

from __future__ import annotations

import datetime
import os
import platform
from pathlib import Path

import keras
import numpy as np

from gdl_vae import checkpoints, plotting, run_folder
from gdl_vae.models import LatentModel, load_model


def load_checkpoint(path: Path) -> keras.Model:
    """The model in a checkpoint, or a ValueError that calls a damaged file damaged
    and a file of another kind not the kit's."""
    try:
        model = load_model(path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ValueError(
            f"{path} is damaged or not a gdl_vae model ({type(error).__name__}"
            f"{': ' + first[:200] if first else ''}). Fix: train the run again "
            "(--overwrite moves this one aside)."
        ) from None
    if not isinstance(model, LatentModel):
        raise ValueError(
            f"{path} holds a {type(model).__name__}, not a gdl_vae model; `sample` "
            "and `evaluate` need a folder that `gdl-vae train` wrote. Fix: give that "
            "folder."
        )
    return model


def load_run(run: str | os.PathLike) -> tuple[keras.Model, dict]:
    """The model of a run folder (its checkpoint) and the config it was trained with."""
    path = Path(run)
    if not path.is_dir():
        raise ValueError(
            f"{path} is not a folder. Fix: give the folder that `gdl-vae train` "
            "wrote (its --out)."
        )
    checkpoint = path / run_folder.CHECKPOINT
    if not checkpoint.exists():
        raise ValueError(
            f"{path} holds no {run_folder.CHECKPOINT}. Fix: give the folder that "
            "`gdl-vae train` wrote (its --out)."
        )
    try:
        state = checkpoints.read_state(checkpoint)  # checks every byte first
    except ValueError as error:
        raise ValueError(
            f"{error}. Fix: run the `gdl-vae train` command that made it again: it "
            f"resumes from {run_folder.PREVIOUS} where that is sound."
        ) from None
    config = state.get("config") or run_folder.read_json(path / "config.json")
    return load_checkpoint(checkpoint), {**config, "epochs": state.get("epoch")}


class Checkpoint(keras.callbacks.Callback):
    """Commit the model, its optimizer state, the history and the epoch after
    every epoch, as one checkpoint (run_folder.commit)."""

    def __init__(self, out: Path, history: dict, config: dict):
        super().__init__()
        self.out, self.history, self.config = out, history, config

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        state = {"epoch": epoch + 1, "history": self.history, "config": self.config}
        checkpoints.commit(self.out, self.model.save, state)


def environment() -> dict:
    """Date, machine, GPUs and library versions: what every figure is stamped with."""
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


def held_out_metrics(
    model: keras.Model,
    x_test: np.ndarray,
    k: int,
    seed: int,
    iwae_images: int | None = None,
) -> dict:
    """Held-out loss terms; for a model with a bound also the ELBO and IWAE bound.

    The ELBO uses every image of x_test; the importance-weighted bound, k times
    as costly, its first `iwae_images` (None: all). metrics.json keeps both
    per k: "iwae" {k: bound} and "iwae_images" {k: images}.
    """
    result = {"test": model.evaluate(x_test, verbose=0, return_dict=True)}
    result["test"] = {key: float(value) for key, value in result["test"].items()}
    if model.has_bound:
        result["elbo"] = float(model.elbo(x_test, seed=seed).mean())
        x_bound = x_test[:iwae_images]
        bound = float(model.iwae_bound(x_bound, k=k, seed=seed).mean())
        result["iwae"] = {str(k): bound}
        result["iwae_images"] = {str(k): len(x_bound)}
    return result


def summary(metrics: dict) -> str:
    """The held-out figures of metrics.json as lines of text."""
    lines = [f"held-out ({metrics['n_test']:,} images, nats per image):"]
    lines += [f"  {key}: {value:.2f}" for key, value in metrics["test"].items()]
    if "elbo" in metrics:
        lines.append(f"  ELBO: {metrics['elbo']:.2f}")
        counts = metrics.get("iwae_images", {})
        for k, bound in metrics["iwae"].items():
            on = ""
            if k in counts:
                which = "all" if counts[k] == metrics["n_test"] else "first"
                on = f", {which} {counts[k]:,} images"
            lines.append(f"  importance-weighted bound (k={k}{on}): {bound:.2f}")
    return "\n".join(lines)


def write_figures(
    model: keras.Model, out: Path, data, x_test: np.ndarray, history: dict
) -> None:
    """reconstructions.png, samples.png, losses.png and, in 2-D, latent.png."""
    shown = x_test[:10]
    plotting.reconstruction_grid(
        shown, model.reconstruct(shown), title="held-out images and reconstructions"
    ).savefig(out / "reconstructions.png", dpi=100)
    codes = model.codes(x_test)  # a VAE's posterior means
    sample_figure(model, 64, 0, codes).savefig(out / "samples.png", dpi=100)
    plotting.loss_curves(history).savefig(out / "losses.png", dpi=100)
    if model.latent_dim == 2:
        plotting.latent_scatter(
            codes, data.y_test, title="held-out images in the latent space"
        ).savefig(out / "latent.png", dpi=100)


def training_film(model: keras.Model, x_test: np.ndarray, seed: int | None):
    """The film `gdl-vae train` writes: 16 fixed prior samples decoded after each
    epoch, or for a model without a prior (whose codes mean nothing before
    training) 16 fixed held-out digits reconstructed."""
    from gdl_vae.plotting.film import TrainingFilm

    if model.has_prior:
        return TrainingFilm(z=model.latent_samples(16, seed=seed))
    return TrainingFilm(x=x_test[:16])


def sample_figure(
    model: keras.Model, n: int, seed: int | None, codes: np.ndarray | None
) -> plotting.Figure:
    """New images: decodes of model.latent_samples (the prior, or the Gaussian
    fitted to the held-out codes of a model without one)."""
    z = model.latent_samples(n, seed=seed, codes=codes)
    prior = getattr(model, "prior", None)  # models/priors.py
    title = (
        f"new images: z ~ {getattr(prior, 'title', 'p(z)')}"
        if model.has_prior
        else f"{model.name}: random codes from the Gaussian fitted to its codes"
    )
    return plotting.image_grid(model.decode_mean(z), ncols=8, title=title)
