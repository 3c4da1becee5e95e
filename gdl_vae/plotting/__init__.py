"""What the course shows: figures, the training film and the latent explorer.

Each plotting function returns a matplotlib Figure built without pyplot, so a
notebook shows it once (as the cell's value) and a script can
`fig.savefig(path)` without a display.

figure.py      the Figure every plot returns, its finishing touch, a grid of
               panels, the label font
images.py      grids of images, reconstructions, interpolation strips
latent.py      pictures of a 2-D latent space (and their helpers: check_2d,
               scatter_codes, tiles, which the explorer uses too)
charts.py      curves and heat maps
comparisons.py models side by side: metric bars, rate-distortion, bound gaps
film.py        TrainingFilm: fixed codes decoded as training goes on, as a GIF
explorer.py    the latent explorer (widgets, or a static figure without them)
map_widget.py  its map in the browser, which answers the mouse (anywidget)

film, explorer and map_widget load TensorFlow or widgets, so they are
imported by name: `from gdl_vae.plotting.explorer import explore_latent`
(or `gdl_vae.explore_latent`).
"""

from gdl_vae.plotting.charts import (
    curves,
    heatmap,
    histograms,
    history_comparison,
    loss_curves,
    step_profiles,
    unit_activity,
)
from gdl_vae.plotting.comparisons import bound_gaps, metric_bars, rate_distortion
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
    "histograms",
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
