"""The models: one file each, their configs, shared base, networks and layers.

autoencoder.py  Autoencoder, build_autoencoder
vae.py          VAE, build_vae (its bounds: gdl_vae/measure/bounds.py)
hierarchical.py HierarchicalVAE, build_hierarchical_vae: two stochastic layers
priors.py       NormalPrior, VampPrior: the priors p(z) a VAE can have
configs.py      each model's options, defaults and checks, without TensorFlow
acai.py         ACAI, build_acai
base.py         LatentModel, the contract every model keeps
networks.py     encoder, decoder and critic builders per architecture
layers.py       Sampling, the reparameterization trick
registry.py     names -> builders and configs, read by the command line
                without TensorFlow
checks.py       the checks of a count or a number
pretrained.py   load_pretrained: the shipped best models (weights/), with
                their recipes and held-out figures

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
    "HierarchicalVAE": "gdl_vae.models.hierarchical",
    "build_hierarchical_vae": "gdl_vae.models.hierarchical",
    "load_pretrained": "gdl_vae.models.pretrained",
    "PRETRAINED": "gdl_vae.models.pretrained",
    "NormalPrior": "gdl_vae.models.priors",
    "VampPrior": "gdl_vae.models.priors",
    "ModelConfig": "gdl_vae.models.configs",
    "AutoencoderConfig": "gdl_vae.models.configs",
    "VAEConfig": "gdl_vae.models.configs",
    "ACAIConfig": "gdl_vae.models.configs",
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

    latent_dim, architecture and every option left out take the model's
    defaults (its config, configs.py); every keyword goes to the builder.
    """
    from gdl_vae.models import registry

    return registry.get(name).load_builder()(latent_dim, architecture, **kwargs)


def load_model(path):
    """keras.models.load_model, after importing every registered model's module.

    Keras finds a saved model's class only once its module has been imported
    (that registers the class); this imports them all first.
    """
    from gdl_vae.models import registry

    registry.import_models()
    import keras

    return keras.models.load_model(path)
