"""Figures for the course: image grids, latent space pictures, curves.

Each function returns a matplotlib Figure built without pyplot, so a notebook
shows it once (as the cell's value) and a script can `fig.savefig(path)`
without a display. images.py draws grids of images, latent.py pictures of a
2-D latent space, charts.py curves, bars and heat maps.
"""

from gdl_vae.plotting.charts import (
    bound_gaps,
    curves,
    heatmap,
    history_comparison,
    loss_curves,
    metric_bars,
    rate_distortion,
    step_profiles,
    unit_activity,
)
from gdl_vae.plotting.figure import DPI, Figure
from gdl_vae.plotting.images import (
    image_grid,
    image_panels,
    interpolation_strips,
    reconstruction_grid,
    signed_image_grid,
)
from gdl_vae.plotting.latent import (
    latent_scatter,
    manifold,
    posterior_ellipses,
    posterior_panels,
)

__all__ = [
    "DPI",
    "Figure",
    "bound_gaps",
    "curves",
    "heatmap",
    "history_comparison",
    "image_grid",
    "image_panels",
    "interpolation_strips",
    "latent_scatter",
    "loss_curves",
    "manifold",
    "metric_bars",
    "posterior_ellipses",
    "posterior_panels",
    "rate_distortion",
    "reconstruction_grid",
    "signed_image_grid",
    "step_profiles",
    "unit_activity",
]
