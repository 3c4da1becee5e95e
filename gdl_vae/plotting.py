"""Figures for the course: image grids, latent space pictures, curves.

Each function returns a matplotlib Figure built without pyplot, so a notebook
shows it once (as the cell's value) and a script can `fig.savefig(path)`
without a display.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence

import matplotlib.figure
import numpy as np
from matplotlib.patches import Ellipse

DPI = 100


class Figure(matplotlib.figure.Figure):
    """A matplotlib Figure that Jupyter, Colab and VS Code draw as a PNG.

    Without pyplot no display hook is registered for figures, so this class
    carries its own `_repr_png_`.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
        return buffer.getvalue()


def _finish(fig: Figure, title: str | None) -> Figure:
    """Title the figure (if given) and lay its panels out."""
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


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


def _check_2d(codes: np.ndarray, name: str = "codes") -> np.ndarray:
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(
            f"{name} must be 2-D latent points of shape (N, 2); got {codes.shape}. "
            "Fix: train with latent_dim=2, or project the codes to 2-D first."
        )
    return codes


def _scatter(ax, codes: np.ndarray, labels: np.ndarray, alpha: float = 0.7):
    points = ax.scatter(
        codes[:, 0], codes[:, 1], c=labels, cmap="tab10", vmin=-0.5, vmax=9.5,
        s=3, alpha=alpha,
    )  # fmt: skip
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_aspect("equal", adjustable="datalim")
    return points


def latent_scatter(
    codes: np.ndarray | Mapping[str, np.ndarray],
    labels: np.ndarray,
    title: str | None = None,
    points: np.ndarray | None = None,
) -> Figure:
    """2-D latent codes coloured by label (0..9).

    Pass a mapping {panel title: codes} to draw models side by side, and
    `points` to mark extra latent points (for example random ones) with crosses.
    """
    panels = codes if isinstance(codes, Mapping) else {title or "": codes}
    fig = Figure(figsize=(5 * len(panels) + 1, 4.6), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (name, panel) in zip(axes, panels.items(), strict=True):
        scatter = _scatter(ax, _check_2d(panel), labels)
        if points is not None:
            extra = _check_2d(points, "points")
            ax.scatter(extra[:, 0], extra[:, 1], marker="x", c="black", s=12, lw=0.8)
        if name:
            ax.set_title(name)
    fig.colorbar(scatter, ax=axes, ticks=range(10), label="label")
    if title and isinstance(codes, Mapping):
        fig.suptitle(title)
    return fig


def posterior_ellipses(
    means: np.ndarray,
    stddevs: np.ndarray,
    labels: np.ndarray,
    codes: np.ndarray | None = None,
    code_labels: np.ndarray | None = None,
    title: str | None = None,
) -> Figure:
    """Each posterior q(z|x) in the 2-D latent plane: its mean, 1- and 2-sigma ellipses.

    A diagonal Gaussian's contours are axis-aligned ellipses with half-axes
    k * stddev. `codes` (with `code_labels`) draws other codes faintly behind.
    """
    means, stddevs = _check_2d(means, "means"), _check_2d(stddevs, "stddevs")
    fig = Figure(figsize=(6.5, 5.5), layout="constrained")
    ax = fig.subplots()
    if codes is not None:
        _scatter(ax, _check_2d(codes), code_labels, alpha=0.15)
    colors = matplotlib.colormaps["tab10"]
    for mean, std, label in zip(means, stddevs, labels, strict=True):
        for k, style in ((1, "-"), (2, "--")):
            ax.add_patch(
                Ellipse(
                    mean, 2 * k * std[0], 2 * k * std[1], fill=False,
                    ls=style, lw=1.5, ec=colors(int(label)),
                )
            )  # fmt: skip
        ax.plot(*mean, "o", c=colors(int(label)), mec="black", ms=6)
        ax.annotate(str(label), mean, xytext=(4, 4), textcoords="offset points")
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    ax.set_title(title or "q(z|x): mean, 1 sigma (solid) and 2 sigma (dashed)")
    return fig


def manifold(images: np.ndarray, grid: np.ndarray, title: str | None = None) -> Figure:
    """Images decoded from an n x n latent_grid, tiled, z values on the axes."""
    images = np.asarray(images)
    grid = _check_2d(grid, "grid")
    n = math.isqrt(len(images))
    if n * n != len(images) or len(grid) != len(images):
        raise ValueError(
            f"manifold needs n * n images and their n * n grid points; got "
            f"{len(images)} images and {len(grid)} points."
        )
    h, w = images.shape[1:3]
    canvas = images[..., 0].reshape(n, n, h, w).transpose(0, 2, 1, 3)
    fig = Figure(figsize=(7, 7), layout="constrained")
    ax = fig.subplots()
    ax.imshow(canvas.reshape(n * h, n * w), cmap="gray", vmin=0, vmax=1)
    ticks = np.arange(n) * w + w / 2
    ax.set_xticks(ticks, [f"{v:.2g}" for v in grid[:n, 0]], rotation=90, fontsize=7)
    ax.set_yticks(ticks, [f"{v:.2g}" for v in grid[::n, 1]], fontsize=7)
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    if title:
        ax.set_title(title)
    return fig


def interpolation_strips(
    strips: Mapping[str, np.ndarray], title: str | None = None, size: float = 0.8
) -> Figure:
    """One row of frames per entry {row label: images (frames, H, W[, 1])}."""
    frames = max(len(v) for v in strips.values())
    fig = Figure(
        figsize=(frames * size + 1.8, len(strips) * size + (0.4 if title else 0)),
        layout="constrained",
    )
    fig.get_layout_engine().set(w_pad=0.01, h_pad=0.01, wspace=0.02, hspace=0.02)
    axes = fig.subplots(len(strips), frames, squeeze=False)
    for row, (label, images) in zip(axes, strips.items(), strict=True):
        for i, ax in enumerate(row):
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if i < len(images):
                ax.imshow(np.asarray(images[i]).squeeze(), cmap="gray", vmin=0, vmax=1)
        row[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def step_profiles(steps: Mapping[str, np.ndarray], title: str | None = None) -> Figure:
    """Image change per step along interpolation paths, {model: (paths, steps)}.

    Left: the mean change at each step along the path. Right: the distribution
    of the largest step's share of each path's total change (1 / steps is a
    perfectly even path, 1 a single jump).
    """
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    bins = np.linspace(0, 1, 26)
    for label, values in steps.items():
        values = np.asarray(values)
        left.plot(np.arange(1, values.shape[1] + 1), values.mean(axis=0), label=label)
        share = values.max(axis=1) / np.maximum(values.sum(axis=1), 1e-12)
        right.hist(share, bins=bins, alpha=0.6, label=label)
    left.set_xlabel("step along the path")
    left.set_ylabel("RMS pixel change")
    left.set_title("mean change per step")
    right.axvline(1 / values.shape[1], color="black", ls=":", lw=1)
    right.set_xlabel("largest step / total change")
    right.set_ylabel("paths")
    right.set_title("how much of a path is one jump")
    left.legend()
    right.legend()
    if title:
        fig.suptitle(title)
    return fig


def heatmap(
    matrix: np.ndarray,
    title: str | None = None,
    xlabel: str = "",
    ylabel: str = "",
    fmt: str = "{:.0%}",
) -> Figure:
    """A matrix as coloured cells, each value written in; rows and columns 0..n-1."""
    matrix = np.asarray(matrix)
    fig = Figure(figsize=(0.5 * matrix.shape[1] + 1.5, 0.5 * matrix.shape[0] + 0.8))
    ax = fig.subplots()
    ax.imshow(matrix, cmap="viridis", vmin=0, vmax=max(1.0, float(matrix.max())))
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(
            j, i, fmt.format(value), ha="center", va="center", fontsize=7,
            color="black" if value > 0.6 else "white",
        )  # fmt: skip
    ax.set_xticks(range(matrix.shape[1]))
    ax.set_yticks(range(matrix.shape[0]))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def loss_curves(
    history: Mapping[str, Sequence[float]], title: str | None = None
) -> Figure:
    """One panel per loss term, training and held-out curves, per epoch."""
    first = ("loss", "reconstruction_loss")  # then the other terms, as given
    terms = sorted(
        (k for k in history if not k.startswith("val_")),
        key=lambda k: first.index(k) if k in first else len(first),
    )
    if "loss" in terms and any(
        list(history[k]) == list(history["loss"]) for k in terms if k != "loss"
    ):
        terms.remove("loss")  # an autoencoder's loss is its reconstruction term
    if not terms:
        raise ValueError("history holds no training terms; pass History.history.")
    fig = Figure(figsize=(4 * len(terms), 3))
    axes = fig.subplots(1, len(terms), squeeze=False)[0]
    for ax, term in zip(axes, terms, strict=True):
        epochs = np.arange(1, len(history[term]) + 1)
        ax.plot(epochs, history[term], label="train")
        if f"val_{term}" in history:
            ax.plot(epochs, history[f"val_{term}"], label="held-out")
        # the likelihood terms are in nats; ACAI's critic scores are not
        nats = term in ("loss", "reconstruction_loss", "kl_loss")
        ax.set_title(f"{term} (nats)" if nats else term)
        ax.set_xlabel("epoch")
        ax.legend()
    return _finish(fig, title)


def signed_image_grid(
    images: np.ndarray,
    ncols: int | None = None,
    title: str | None = None,
    labels: Sequence | None = None,
    size: float = 1.0,
) -> Figure:
    """Signed images such as weight vectors: red positive, blue negative, white 0.

    Each image is scaled to its own largest absolute value.
    """
    images = np.asarray(images, np.float64)
    peak = np.abs(images.reshape(len(images), -1)).max(axis=1)
    scaled = 0.5 + 0.5 * images / np.maximum(peak, 1e-12).reshape(
        -1, *[1] * (images.ndim - 1)
    )
    fig = image_grid(scaled, ncols=ncols, title=title, labels=labels, size=size)
    for ax in fig.axes:
        for image in ax.get_images():
            image.set_cmap("RdBu_r")
    return fig


def metric_bars(
    rows: Sequence[Mapping],
    metrics: Mapping[str, str],
    label: str = "model",
    title: str | None = None,
) -> Figure:
    """One panel per metric (metrics maps row keys to panel titles), one bar per
    row, labelled by row[label]; a row without the metric gets no bar."""
    if not rows or not metrics:
        raise ValueError("metric_bars needs at least one row and one metric.")
    names = [str(row[label]) for row in rows]
    fig = Figure(figsize=(max(3.0, 0.45 * len(rows) + 1.2) * len(metrics), 3.2))
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, (key, panel) in zip(axes, metrics.items(), strict=True):
        values = [row.get(key) for row in rows]
        shown = [np.nan if v is None else float(v) for v in values]
        bars = ax.bar(range(len(rows)), shown, color="tab:blue")
        ax.bar_label(bars, fmt="%.3g", fontsize=7)
        ax.set_xticks(range(len(rows)), names, rotation=60, ha="right", fontsize=8)
        ax.set_title(panel, fontsize=9)
    return _finish(fig, title)


def curves(
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    xlabel: str = "",
    ylabel: str = "",
    title: str | None = None,
    logx: bool = False,
) -> Figure:
    """Lines y(x), one per series, on one panel, with markers at the data."""
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    for name, y in series.items():
        ax.plot(x, y, marker="o", label=name)
    if logx:
        ax.set_xscale("log", base=2)
        ax.set_xticks(list(x), [str(v) for v in x])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def history_comparison(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    terms: Sequence[str],
    title: str | None = None,
) -> Figure:
    """One panel per term, one curve per model: how training differed."""
    fig = Figure(figsize=(3.6 * len(terms), 3))
    axes = fig.subplots(1, len(terms), squeeze=False)[0]
    for ax, term in zip(axes, terms, strict=True):
        for name, history in histories.items():
            if term in history:
                values = history[term]
                ax.plot(np.arange(1, len(values) + 1), values, label=name)
        ax.set_title(term)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=8)
    return _finish(fig, title)
