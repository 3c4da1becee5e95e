"""gdl_vae: autoencoders, VAEs and generation with Keras 3 and TF Probability."""

from gdl_vae._quiet import import_tensorflow

import_tensorflow()

from gdl_vae.classifier import DigitClassifier, train_digit_classifier  # noqa: E402
from gdl_vae.data import Dataset, binarize, load_dataset, make_dataset  # noqa: E402
from gdl_vae.layers import Sampling  # noqa: E402
from gdl_vae.models import (  # noqa: E402
    ACAI,
    VAE,
    Autoencoder,
    KLWarmup,
    ProgressLog,
    build_acai,
    build_autoencoder,
    build_vae,
)
from gdl_vae.networks import build_critic, build_decoder, build_encoder  # noqa: E402
from gdl_vae.precision import best_policy  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "ACAI",
    "VAE",
    "Autoencoder",
    "Dataset",
    "DigitClassifier",
    "KLWarmup",
    "ProgressLog",
    "Sampling",
    "best_policy",
    "binarize",
    "build_acai",
    "build_autoencoder",
    "build_critic",
    "build_decoder",
    "build_encoder",
    "build_vae",
    "load_dataset",
    "make_dataset",
    "train_digit_classifier",
]
