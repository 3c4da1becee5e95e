"""gdl_vae: autoencoders, VAEs and generation with Keras 3 and TF Probability.

The package in floors: models/ (the models, their configs, priors, networks
and registry), data/ (datasets and pipelines), measure/ (bounds, metrics, the
digit classifier, latent statistics), plotting/ (figures, the training film,
the latent explorer); training.py and callbacks.py train, cache.py keeps
trained models by recipe, progress.py shows long work; cli.py and commands.py
are `gdl-vae`, with run_folder.py, checkpoints.py and runs.py for its run
folders.

Importing the package is cheap: each name below is imported on first use, and
TensorFlow, whoever imports it first, comes without its start-up log lines.
"""

from gdl_vae import _quiet
from gdl_vae._lazy import lazy_exports

_quiet.install()

__version__ = "0.1.0"

_EXPORTS = {
    "ACAI": "gdl_vae.models",
    "VAE": "gdl_vae.models",
    "HierarchicalVAE": "gdl_vae.models",
    "Autoencoder": "gdl_vae.models",
    "LatentModel": "gdl_vae.models",
    "Sampling": "gdl_vae.models",
    "NormalPrior": "gdl_vae.models",
    "VampPrior": "gdl_vae.models",
    "build_acai": "gdl_vae.models",
    "build_autoencoder": "gdl_vae.models",
    "build_critic": "gdl_vae.models",
    "build_decoder": "gdl_vae.models",
    "build_encoder": "gdl_vae.models",
    "build_model": "gdl_vae.models",
    "build_vae": "gdl_vae.models",
    "build_hierarchical_vae": "gdl_vae.models",
    "load_pretrained": "gdl_vae.models",
    "load_model": "gdl_vae.models",
    "Dataset": "gdl_vae.data",
    "binarize": "gdl_vae.data",
    "held_out_images": "gdl_vae.data",
    "load_dataset": "gdl_vae.data",
    "make_dataset": "gdl_vae.data",
    "EpochClock": "gdl_vae.callbacks",
    "KLWarmup": "gdl_vae.callbacks",
    "ProgressLog": "gdl_vae.callbacks",
    "TrainingFilm": "gdl_vae.plotting.film",
    "LatentExplorer": "gdl_vae.plotting.explorer",
    "explore_latent": "gdl_vae.plotting.explorer",
    "Trained": "gdl_vae.training",
    "train": "gdl_vae.training",
    "DigitClassifier": "gdl_vae.measure.classifier",
    "train_digit_classifier": "gdl_vae.measure.classifier",
    "load_digit_classifier": "gdl_vae.measure.classifier",
    "best_policy": "gdl_vae.precision",
}
# Modules by the names they had before the package had floors, so that
# `from gdl_vae import metrics` still works.
_MODULES = {
    **{name: f"gdl_vae.measure.{name}"
       for name in ("classifier", "evaluation", "latent", "lines", "metrics", "pca")},
    **{name: f"gdl_vae.plotting.{name}" for name in ("explorer", "film", "map_widget")},
}  # fmt: skip
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS, _MODULES)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_MODULES})
