"""Measures: what a trained model is worth, in numbers.

bounds.py      the ELBO and the importance-weighted bound in nats, the KL split
metrics.py     Fréchet distance, precision and recall of generated images
classifier.py  the digit classifier whose features judge generated images
latent.py      latent grids, interpolation, empty space, active units, class means
evaluation.py  continuity, memorisation, linear read-out
lines.py       the lines benchmark of ACAI (Berthelot et al. 2019): data, metrics
pca.py         PCA, principal angles, linear autoencoders (notebook 05)
neighbours.py  the one nearest-neighbour kernel the others use
stats.py       error bars: mean ± standard error, bootstrap, resolved or not

Each module loads on first use: `from gdl_vae.measure import metrics`.
"""

from gdl_vae._lazy import lazy_exports

_EXPORTS: dict[str, str] = {}
__getattr__ = lazy_exports(__name__, _EXPORTS)
