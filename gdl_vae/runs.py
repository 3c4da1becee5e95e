"""A run folder: everything about one trained model, written as training goes.

config.json   how the model was made (the options that define the run)
model.keras   weights and optimizer state, saved after every epoch
history.json  the loss terms per epoch
metrics.json  held-out figures, the data's source, the machine and versions
*.png         the figures

The functions below write and summarise those files for `gdl-vae train`,
`sample` and `evaluate`.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
from pathlib import Path

import keras
import numpy as np

from gdl_vae import plotting
from gdl_vae.models import load_model


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically: a crash leaves the old file or the new, never half."""
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(data, indent=2) + "\n")
    partial.replace(path)


def read_json(path: Path) -> dict:
    """The JSON object in path, or {} when there is no such file."""
    return json.loads(path.read_text()) if path.exists() else {}


def check_resumable(out: Path, config: dict) -> None:
    """Raise ValueError when out holds a run made with other options.

    Options that one of the two configs lacks (added to the kit since) are not
    compared.
    """
    previous = read_json(out / "config.json")
    changed = {
        k: (previous[k], v)
        for k, v in config.items()
        if k in previous and previous[k] != v
    }
    if changed:
        what = ", ".join(
            f"{k}: {old!r} -> {new!r}" for k, (old, new) in changed.items()
        )
        raise ValueError(
            f"{out} holds a run made with other options ({what}). Fix: choose "
            "another --out, or add --overwrite to start this one again."
        )


def load_run(run: str | os.PathLike) -> tuple[keras.Model, dict]:
    """The model and config.json of a run folder."""
    path = Path(run)
    if not (path / "model.keras").exists():
        raise FileNotFoundError(
            f"{path} holds no model.keras. Fix: give the folder that `gdl-vae train` "
            "wrote (its --out)."
        )
    return load_model(path / "model.keras"), read_json(path / "config.json")


class Checkpoint(keras.callbacks.Callback):
    """Save the model (with optimizer state) and the history after every epoch."""

    def __init__(self, out: Path, history: dict):
        super().__init__()
        self.out, self.history = out, history

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        partial = self.out / "model.part.keras"
        self.model.save(partial)
        partial.replace(self.out / "model.keras")
        write_json(self.out / "history.json", self.history)


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
        shown, model.reconstruct(shown), title="held-out digits and reconstructions"
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
    from gdl_vae.film import TrainingFilm

    if model.has_prior:
        return TrainingFilm(z=model.latent_samples(16, seed=seed))
    return TrainingFilm(x=x_test[:16])


def sample_figure(
    model: keras.Model, n: int, seed: int | None, codes: np.ndarray | None
) -> plotting.Figure:
    """New images: decodes of model.latent_samples (the prior, or the Gaussian
    fitted to the held-out codes of a model without one)."""
    z = model.latent_samples(n, seed=seed, codes=codes)
    title = (
        "new images: z ~ N(0, I)"
        if model.has_prior
        else f"{model.name}: random codes from the Gaussian fitted to its codes"
    )
    return plotting.image_grid(model.decode_mean(z), ncols=8, title=title)
