"""Grids of images: samples, reconstructions, signed maps, interpolation strips."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from gdl_vae.plotting.figure import MAX_WIDTH, Figure


def image_grid(
    images: np.ndarray,
    ncols: int | None = None,
    title: str | None = None,
    labels: Sequence | None = None,
    size: float = 1.0,
) -> Figure:
    """Images (N, H, W[, 1]) in a grid, grey on black, optional label above each.

    `size` is each image's side in inches, smaller where the row would be
    wider than MAX_WIDTH.
    """
    images = np.asarray(images)
    n = len(images)
    ncols = ncols or min(n, 10)
    size = min(size, MAX_WIDTH / ncols)
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
                ax.set_title(str(labels[i]), fontsize=10)
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
    axes[0].set_title("original", fontsize=10, loc="left")
    axes[n].set_title("reconstruction", fontsize=10, loc="left")
    return fig


def image_panels(
    panels: Mapping[str, np.ndarray],
    columns: int = 4,
    grid: int = 4,
    title: str | None = None,
) -> Figure:
    """Several small grids side by side: the first grid x grid images of each
    entry of panels ({caption: images}), `columns` panels to a row."""
    if not panels:
        raise ValueError("image_panels needs at least one panel.")
    nrows = math.ceil(len(panels) / columns)
    ncols = min(columns, len(panels))
    width = min(2.5, MAX_WIDTH / ncols)  # a row no wider than MAX_WIDTH
    fig = Figure(
        figsize=(width * ncols, (width + 0.25) * nrows + (0.4 if title else 0)),
        layout="constrained",
    )
    subfigures = np.atleast_1d(fig.subfigures(nrows, ncols)).ravel()
    for subfigure, (caption, images) in zip(subfigures, panels.items(), strict=False):
        axes = subfigure.subplots(
            grid, grid, gridspec_kw={"wspace": 0.04, "hspace": 0.04}
        )
        for ax, image in zip(
            axes.flat, np.asarray(images)[: grid * grid], strict=False
        ):
            ax.imshow(image.squeeze(), cmap="gray", vmin=0, vmax=1)
        for ax in axes.flat:
            ax.set_axis_off()
        subfigure.suptitle(caption, fontsize=11)
    for subfigure in subfigures[len(panels) :]:
        subfigure.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=12)
    return fig


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


def interpolation_strips(
    strips: Mapping[str, np.ndarray], title: str | None = None, size: float = 0.8
) -> Figure:
    """One row of frames per entry {row label: images (frames, H, W[, 1])}.

    `size` is each frame's side in inches, smaller where the row would be
    wider than MAX_WIDTH.
    """
    frames = max(len(v) for v in strips.values())
    size = min(size, (MAX_WIDTH - 1.8) / frames)
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
        row[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=10)
    if title:
        fig.suptitle(title)
    return fig
