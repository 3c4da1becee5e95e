"""The Figure class every plot returns, and the shared finishing touch."""

from __future__ import annotations

import io

import matplotlib.figure
import matplotlib.text
from PIL import ImageFont

DPI = 100
MAX_WIDTH = 10.0  # inches: 1,000 pixels, the width of a notebook's output
# The course site's text column is about 800 pixels wide and scales a wider
# PNG down to it; text smaller than SMALLEST_TEXT pixels there is hard to read.
# At MAX_WIDTH that means at least 9 points (test_plotting checks every helper).
PAGE_PIXELS = 800
SMALLEST_TEXT = 10.0


class Figure(matplotlib.figure.Figure):
    """A matplotlib Figure that Jupyter, Colab and VS Code draw as a PNG.

    Without pyplot no display hook is registered for figures, so this class
    carries its own `_repr_png_`.
    """

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
        return buffer.getvalue()


def text_pixels(fig: matplotlib.figure.Figure) -> float:
    """The height in pixels of the figure's smallest text on a page PAGE_PIXELS
    wide: its size in points, times the scale at which the page shows the PNG
    (the tight bounding box `_repr_png_` saves, shrunk to the page if wider)."""
    fig.draw_without_rendering()  # lays the figure out as saving it would
    width = fig.get_tightbbox().width * DPI
    scale = min(1.0, PAGE_PIXELS / width)
    hidden = {  # the tick and axis labels of axes turned off are never drawn
        id(text)
        for axes in fig.axes
        if not axes.axison
        for axis in (axes.xaxis, axes.yaxis)
        for text in axis.findobj(matplotlib.text.Text)
    }
    sizes = [
        text.get_fontsize()
        for text in fig.findobj(matplotlib.text.Text)
        if text.get_visible() and text.get_text().strip() and id(text) not in hidden
    ]
    return min(sizes, default=float("inf")) * DPI / 72 * scale


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
