"""Pictures of a 2-D latent space: codes by class, posterior ellipses, manifold."""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib
import numpy as np
from matplotlib.patches import Ellipse

from gdl_vae.plotting.figure import MAX_WIDTH, Figure


def check_2d(codes: np.ndarray, name: str = "codes") -> np.ndarray:
    """codes as an array, or a ValueError unless they are 2-D points (N, 2)."""
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(
            f"{name} must be 2-D latent points of shape (N, 2); got {codes.shape}. "
            "Fix: train with latent_dim=2, or project the codes to 2-D first."
        )
    return codes


def scatter_codes(ax, codes: np.ndarray, labels: np.ndarray, alpha: float = 0.7):
    """Points on ax coloured by digit class (tab10), equal axes; returns them."""
    points = ax.scatter(
        codes[:, 0], codes[:, 1], c=labels, cmap="tab10", vmin=-0.5, vmax=9.5,
        s=3, alpha=alpha,
    )  # fmt: skip
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    ax.set_aspect("equal", adjustable="datalim")
    return points


def tiles(images: np.ndarray, n: int) -> np.ndarray:
    """n * n images (height, width), row by row, as one (n * h, n * w) picture."""
    h, w = images.shape[1:3]
    return images.reshape(n, n, h, w).transpose(0, 2, 1, 3).reshape(n * h, n * w)


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
    width = min(5.0, (MAX_WIDTH - 1) / len(panels))  # a row no wider than MAX_WIDTH
    fig = Figure(figsize=(width * len(panels) + 1, 4.6), layout="constrained")
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (name, panel) in zip(axes, panels.items(), strict=True):
        scatter = scatter_codes(ax, check_2d(panel), labels)
        if points is not None:
            extra = check_2d(points, "points")
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
    means, stddevs = check_2d(means, "means"), check_2d(stddevs, "stddevs")
    fig = Figure(figsize=(6.5, 5.5), layout="constrained")
    ax = fig.subplots()
    if codes is not None:
        scatter_codes(ax, check_2d(codes), code_labels, alpha=0.15)
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


def ellipse_magnification(
    sigma: float, span: float, largest: float | None = None, visible: float = 0.01
) -> float:
    """1, or the power of ten that makes an ellipse of half-width sigma (the
    typical one) at least `visible` of a panel `span` wide, but leaves the
    `largest` half-width under a fifth of the span: honest about its scale,
    seen, and not covering the codes."""
    if sigma <= 0 or sigma >= visible * span:
        return 1.0
    scale = 10 ** math.ceil(math.log10(visible * span / sigma))
    if largest is not None and largest > 0:
        scale = min(scale, 10 ** math.floor(math.log10(0.2 * span / largest)))
    return float(max(1, scale))


def posterior_panels(
    panels: Mapping[str, tuple[np.ndarray, np.ndarray]],
    labels: np.ndarray,
    n_ellipses: int = 40,
    title: str | None = None,
) -> Figure:
    """Several 2-D latent spaces side by side: {panel title: (means, stddevs)}.

    Each panel draws every posterior mean coloured by label, the 1-sigma
    ellipses of the first n_ellipses posteriors (black outlines over faded
    codes), and the prior N(0, I) as dotted circles at 1 and 2 (black), so
    the panels' own scales can be read against the same yardstick. Where the
    ellipses would be too small to see (median sigma under 1% of the panel's
    span), they are drawn magnified by a power of ten that the panel's title
    states ("ellipses x100").
    """
    if not panels:
        raise ValueError("posterior_panels needs at least one panel.")
    ncols = min(4, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    fig = Figure(figsize=(2.3 * ncols + 0.8, 2.7 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    colors = matplotlib.colormaps["tab10"]
    for ax in axes.flat[len(panels) :]:
        ax.set_axis_off()
    for ax, (name, (means, stds)) in zip(axes.flat, panels.items(), strict=False):
        means, stds = check_2d(means, "means"), check_2d(stds, "stddevs")
        scatter = scatter_codes(ax, means, labels, alpha=0.25)
        span = float(np.ptp(np.concatenate([means, [[-2, -2], [2, 2]]]), axis=0).max())
        shown = stds[:n_ellipses]
        scale = ellipse_magnification(
            float(np.median(shown)), span, largest=float(shown.max())
        )
        for mean, std, label in zip(
            means[:n_ellipses], stds[:n_ellipses], labels[:n_ellipses], strict=True
        ):
            ax.add_patch(
                Ellipse(mean, 2 * scale * std[0], 2 * scale * std[1], fill=False,
                        lw=1.0, ec="black")
            )  # fmt: skip
            ax.plot(*mean, "o", ms=3, mec="black", mfc=colors(int(label)), mew=0.5)
        for radius in (1, 2):
            ax.add_patch(
                Ellipse((0, 0), 2 * radius, 2 * radius, fill=False, ls=":",
                        lw=1.2, ec="black")
            )  # fmt: skip
        ax.autoscale_view()
        ax.set_title(
            name + (f"\n(ellipses x{scale:g})" if scale > 1 else ""), fontsize=10
        )
        ax.tick_params(labelsize=9)
    fig.colorbar(scatter, ax=axes, ticks=range(10), label="label", shrink=0.8)
    if title:
        fig.suptitle(title)
    return fig


def manifold(images: np.ndarray, grid: np.ndarray, title: str | None = None) -> Figure:
    """Images decoded from an n x n latent_grid, tiled, z values on the axes."""
    images = np.asarray(images)
    grid = check_2d(grid, "grid")
    n = math.isqrt(len(images))
    if n * n != len(images) or len(grid) != len(images):
        raise ValueError(
            f"manifold needs n * n images and their n * n grid points; got "
            f"{len(images)} images and {len(grid)} points."
        )
    w = images.shape[2]
    fig = Figure(figsize=(7, 7), layout="constrained")
    ax = fig.subplots()
    ax.imshow(tiles(images[..., 0], n), cmap="gray", vmin=0, vmax=1)
    ticks = np.arange(n) * w + w / 2
    ax.set_xticks(ticks, [f"{v:.2g}" for v in grid[:n, 0]], rotation=90, fontsize=8)
    ax.set_yticks(ticks, [f"{v:.2g}" for v in grid[::n, 1]], fontsize=8)
    ax.set_xlabel("z[0]")
    ax.set_ylabel("z[1]")
    if title:
        ax.set_title(title)
    return fig
