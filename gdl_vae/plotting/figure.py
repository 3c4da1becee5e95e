"""The Figure class every plot returns, and the shared finishing touch."""

from __future__ import annotations

import io

import matplotlib.figure

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


def finish(fig: Figure, title: str | None) -> Figure:
    """Title the figure (if given) and lay its panels out."""
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
