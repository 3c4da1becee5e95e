"""The models: one file each, their shared base, networks, layers and bounds.

autoencoder.py  Autoencoder, build_autoencoder
vae.py          VAE, build_vae (its likelihood bounds: bounds.py)
acai.py         ACAI, build_acai
base.py         LatentModel, the contract every model keeps
networks.py     encoder, decoder and critic builders per architecture
layers.py       Sampling, the reparameterization trick
registry.py     names -> builders, read by the command line without TensorFlow

`build_model("vae", ...)` builds any registered model by name, and
`load_model(path)` loads any saved one.
"""

from gdl_vae._lazy import lazy_exports

_EXPORTS = {
    "ACAI": "gdl_vae.models.acai",
    "build_acai": "gdl_vae.models.acai",
    "Autoencoder": "gdl_vae.models.autoencoder",
    "build_autoencoder": "gdl_vae.models.autoencoder",
    "VAE": "gdl_vae.models.vae",
    "build_vae": "gdl_vae.models.vae",
    "LatentModel": "gdl_vae.models.base",
    "STEPS_PER_EXECUTION": "gdl_vae.models.base",
    "Sampling": "gdl_vae.models.layers",
    "build_critic": "gdl_vae.models.networks",
    "build_decoder": "gdl_vae.models.networks",
    "build_encoder": "gdl_vae.models.networks",
}
__all__ = sorted([*_EXPORTS, "build_model", "load_model"])
__getattr__ = lazy_exports(__name__, _EXPORTS)


def build_model(name: str, latent_dim: int | None = None, architecture=None, **kwargs):
    """Build the registered model `name` with its builder (registry.py).

    latent_dim and architecture default to the model's registered defaults;
    every other keyword goes to the builder.
    """
    from gdl_vae.models import registry

    entry = registry.get(name)
    latent_dim = entry.default("latent_dim") if latent_dim is None else latent_dim
    architecture = architecture or entry.default("architecture")
    return entry.load_builder()(latent_dim, architecture, **kwargs)


def load_model(path):
    """keras.models.load_model, after registering every registered model's class.

    Keras finds a saved model's class only once its module has been imported;
    this imports them all first, whatever was imported before.
    """
    from gdl_vae import _quiet

    _quiet.register_models(force=True)
    import keras

    return keras.models.load_model(path)
