"""The Figure class every plot returns, and the shared finishing touch."""

from __future__ import annotations

import io

import matplotlib.figure
from PIL import ImageFont

DPI = 100
MAX_WIDTH = 10.0  # inches: 1,000 pixels, the width of a notebook's output


class Figure(matplotlib.figure.Figure):
    """A matplotlib Figure that Jupyter, Colab and VS Code draw as a PNG.

    Without pyplot no display hook is registered for figures, so this class
    carries its own `_repr_png_`.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
        return buffer.getvalue()


def finish(fig: Figure, title: str | None) -> Figure:
    """Title the figure (if given) and lay its panels out."""
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def label_font(size: int):
    """Pillow's own font at `size` pixels (one fixed size before Pillow 10.1)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:
        return ImageFont.load_default()


def panel_grid(n: int, width: float, height: float) -> tuple[Figure, list]:
    """n panels of width x height inches, wrapped into rows at MAX_WIDTH."""
    ncols = max(1, min(n, int(MAX_WIDTH // width)))
    nrows = -(-n // ncols)
    fig = Figure(figsize=(width * ncols, height * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_axis_off()
    return fig, list(axes[:n])
