"""gdl_vae: autoencoders, VAEs and generation with Keras 3 and TF Probability.

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
    "Autoencoder": "gdl_vae.models",
    "LatentModel": "gdl_vae.models",
    "Sampling": "gdl_vae.models",
    "build_acai": "gdl_vae.models",
    "build_autoencoder": "gdl_vae.models",
    "build_critic": "gdl_vae.models",
    "build_decoder": "gdl_vae.models",
    "build_encoder": "gdl_vae.models",
    "build_model": "gdl_vae.models",
    "build_vae": "gdl_vae.models",
    "load_model": "gdl_vae.models",
    "Dataset": "gdl_vae.data",
    "binarize": "gdl_vae.data",
    "held_out_images": "gdl_vae.data",
    "load_dataset": "gdl_vae.data",
    "make_dataset": "gdl_vae.data",
    "EpochClock": "gdl_vae.callbacks",
    "KLWarmup": "gdl_vae.callbacks",
    "ProgressLog": "gdl_vae.callbacks",
    "TrainingFilm": "gdl_vae.film",
    "LatentExplorer": "gdl_vae.explorer",
    "explore_latent": "gdl_vae.explorer",
    "Trained": "gdl_vae.training",
    "train": "gdl_vae.training",
    "DigitClassifier": "gdl_vae.classifier",
    "train_digit_classifier": "gdl_vae.classifier",
    "load_digit_classifier": "gdl_vae.classifier",
    "best_policy": "gdl_vae.precision",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
