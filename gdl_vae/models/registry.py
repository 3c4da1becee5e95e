"""Model names -> builders and configs, with what the command line offers.

Plain Python: importing this module imports neither TensorFlow nor the models,
so `gdl-vae --help` lists the models, their options and defaults at once. A
builder is named as "module:function" and imported only when a model is built;
its options, defaults and checks are its config (configs.py), one dataclass.

A new model is its class, its config and its builder, and one line here:

    register("free_bits_vae", build_free_bits_vae, "a VAE with free bits")
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from gdl_vae.models.configs import (
    ACAIConfig,
    AutoencoderConfig,
    HierarchicalVAEConfig,
    ModelConfig,
    Option,
    VAEConfig,
)

# Decoder passes per traced call of the likelihood bounds (bounds.py): bounds
# their memory for any k; the command line's memory estimate reads it too.
MAX_DECODES = 4096


@dataclass(frozen=True)
class ModelEntry:
    """One registered model: how to build it and what to tell the user."""

    name: str
    builder: str | Callable  # "module:function", or the function itself
    help: str
    config: type[ModelConfig]  # its options, defaults and checks

    @property
    def options(self) -> tuple[Option, ...]:
        """The model's own options (beyond latent size, networks, learning rate)."""
        return self.config.own_options()

    def default(self, key: str):
        """This model's default for any of its options (latent_dim, beta, ...)."""
        return self.config.default(key)

    def load_builder(self) -> Callable:
        """The builder function, imported now if it was named by a string."""
        if callable(self.builder):
            return self.builder
        module, _, function = self.builder.partition(":")
        return getattr(importlib.import_module(module), function)


MODELS: dict[str, ModelEntry] = {}


def register(
    name: str,
    builder: str | Callable,
    help: str,
    config: type[ModelConfig] | None = None,
) -> ModelEntry:
    """Add a model under `name` (replacing one of that name); returns its entry.

    config: its config class; a builder made by configs.builder names its own.
    """
    config = config or getattr(builder, "config", None)
    if not (isinstance(config, type) and issubclass(config, ModelConfig)):
        raise ValueError(
            f"register {name!r} with its config, a ModelConfig subclass; got "
            f"{config!r}. Fix: decorate the builder with configs.builder(YourConfig)."
        )
    MODELS[name] = ModelEntry(name, builder, help, config)
    return MODELS[name]


def get(name: str) -> ModelEntry:
    """The entry of a registered model, or a ValueError that lists them."""
    if name not in MODELS:
        raise ValueError(
            f"unknown model {name!r}; registered: {', '.join(MODELS)}. Fix: pick "
            "one of those, or register yours with gdl_vae.models.registry.register."
        )
    return MODELS[name]


def import_models() -> None:
    """Import every registered model's module, which registers its classes
    with Keras: a saved model loads only once they are (models.load_model)."""
    for entry in MODELS.values():
        if isinstance(entry.builder, str):
            importlib.import_module(entry.builder.partition(":")[0])


register(
    "vae",
    "gdl_vae.models.vae:build_vae",
    "variational autoencoder: reconstruction + beta * KL(q(z|x) || p(z)), or the "
    "IWAE bound with --k; prior N(0, I) or the VampPrior",
    VAEConfig,
)
register(
    "hvae",
    "gdl_vae.models.hierarchical:build_hierarchical_vae",
    "VAE with two stochastic layers, z1 and z2 (Tomczak & Welling's HVAE); the "
    "prior of z2 is N(0, I) or the VampPrior",
    HierarchicalVAEConfig,
)
register(
    "ae",
    "gdl_vae.models.autoencoder:build_autoencoder",
    "deterministic autoencoder trained on reconstruction alone",
    AutoencoderConfig,
)
register(
    "acai",
    "gdl_vae.models.acai:build_acai",
    "autoencoder whose decoded mixes of codes must fool a critic (Berthelot "
    "et al. 2019)",
    ACAIConfig,
)

# Keras dtype policies the kit trains under (precision.py picks among them).
DTYPE_POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")
