"""Figures for the course: image grids, reconstructions, latent scatter, loss curves.

Each function returns a matplotlib Figure built without pyplot, so a notebook
shows it once and a script can `fig.savefig(path)` without a display.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure


def image_grid(
    images: np.ndarray,
    ncols: int | None = None,
    title: str | None = None,
    labels: Sequence | None = None,
    size: float = 1.0,
) -> Figure:
    """Images (N, H, W[, 1]) in a grid, grey on black, optional label above each."""
    images = np.asarray(images)
    n = len(images)
    ncols = ncols or min(n, 10)
    nrows = math.ceil(n / ncols)
    fig = Figure(
        figsize=(ncols * size, nrows * size + (0.4 if title else 0)),
        layout="constrained",
    )
    fig.get_layout_engine().set(w_pad=0.01, h_pad=0.01, wspace=0.02, hspace=0.02)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < n:
            ax.imshow(images[i].squeeze(), cmap="gray", vmin=0, vmax=1)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def reconstruction_grid(
    originals: np.ndarray, reconstructions: np.ndarray, title: str | None = None
) -> Figure:
    """Originals on the top row, their reconstructions underneath."""
    n = len(originals)
    fig = image_grid(np.concatenate([originals, reconstructions]), ncols=n, title=title)
    axes = fig.axes
    axes[0].set_title("original", fontsize=8, loc="left")
    axes[n].set_title("reconstruction", fontsize=8, loc="left")
    return fig


def latent_scatter(
    codes: np.ndarray, labels: np.ndarray, title: str | None = None
) -> Figure:
    """2-D latent codes coloured by label, with a legend of the labels."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(
            f"latent_scatter draws 2-D codes; got shape {codes.shape}. Fix: train "
            "with latent_dim=2, or project the codes to 2-D first."
        )
    fig = Figure(figsize=(6, 5))
    ax = fig.subplots()
    points = ax.scatter(
        codes[:, 0], codes[:, 1], c=labels, cmap="tab10", s=3, alpha=0.7
    )
    fig.colorbar(points, ax=ax, ticks=np.unique(labels), label="label")
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_aspect("equal", adjustable="datalim")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def loss_curves(
    history: Mapping[str, Sequence[float]], title: str | None = None
) -> Figure:
    """One panel per loss term, training and held-out curves, per epoch."""
    terms = [k for k in history if not k.startswith("val_")]
    fig = Figure(figsize=(4 * len(terms), 3))
    axes = fig.subplots(1, len(terms), squeeze=False)[0]
    for ax, term in zip(axes, terms, strict=True):
        epochs = np.arange(1, len(history[term]) + 1)
        ax.plot(epochs, history[term], label="train")
        if f"val_{term}" in history:
            ax.plot(epochs, history[f"val_{term}"], label="held-out")
        ax.set_title(f"{term} (nats)")
        ax.set_xlabel("epoch")
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
