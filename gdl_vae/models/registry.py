"""Model names -> builders, with what the command line needs to offer them.

Plain Python: importing this module imports neither TensorFlow nor the models,
so `gdl-vae --help` lists the models, their options and defaults at once. A
builder is named as "module:function" and imported only when a model is built.

Every builder takes the same arguments: `latent_dim` and `architecture`, then
keyword-only `image_shape`, `learning_rate`, `dtype_policy`, `seed` and
`steps_per_execution`, then its model's own options, and returns a compiled
model. A new model is one file with its class and builder, and one line here:

    register("half_kl_vae", "my_package.models:build_half_kl_vae",
             "a VAE whose KL term weighs one half")
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from gdl_vae.models import checks
from gdl_vae.models.checks import PRIORS

ARCHITECTURES = ("conv", "dense", "linear")
# What the command line passes when neither the user nor the model says more.
COMMON_DEFAULTS = {"latent_dim": 2, "architecture": "conv", "learning_rate": 1e-3}
# Decoder passes per traced call of the likelihood bounds (bounds.py): bounds
# their memory for any k; the command line's memory estimate reads it too.
MAX_DECODES = 4096


@dataclass(frozen=True)
class Option:
    """A model's own builder argument, offered as `--name` on the command line."""

    name: str
    type: type
    default: object
    help: str
    choices: tuple = ()  # the values it may take, when they are few

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True)
class ModelEntry:
    """One registered model: how to build it and what to tell the user."""

    name: str
    builder: str | Callable  # "module:function", or the function itself
    help: str
    options: tuple[Option, ...] = ()
    defaults: dict = field(default_factory=dict)  # overrides of COMMON_DEFAULTS
    # Checks the options (by keyword) without TensorFlow: models/checks.py.
    check: Callable | None = None

    def default(self, key: str):
        """This model's default for a common argument (latent_dim, ...)."""
        return self.defaults.get(key, COMMON_DEFAULTS[key])

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
    options: tuple[Option, ...] = (),
    check: Callable | None = None,
    **defaults,
) -> ModelEntry:
    """Add a model under `name` (replacing one of that name); returns its entry."""
    unknown = set(defaults) - set(COMMON_DEFAULTS)
    if unknown:
        raise ValueError(
            f"defaults may set {', '.join(COMMON_DEFAULTS)}; got {sorted(unknown)}. "
            "A model's own arguments are options."
        )
    MODELS[name] = ModelEntry(
        name, builder, help, tuple(options), dict(defaults), check
    )
    return MODELS[name]


def get(name: str) -> ModelEntry:
    """The entry of a registered model, or a ValueError that lists them."""
    if name not in MODELS:
        raise ValueError(
            f"unknown model {name!r}; registered: {', '.join(MODELS)}. Fix: pick "
            "one of those, or register yours with gdl_vae.models.registry.register."
        )
    return MODELS[name]


register(
    "vae",
    "gdl_vae.models.vae:build_vae",
    "variational autoencoder: reconstruction + beta * KL(q(z|x) || p(z)), or the "
    "IWAE bound with --k; prior N(0, I) or the VampPrior",
    check=checks.vae_options,
    options=(
        Option("beta", float, 1.0, "weight of the KL term (1: the ELBO)"),
        Option("prior", str, "normal", "the prior: N(0, I) or the VampPrior", PRIORS),
        Option("n_pseudo_inputs", int, 500, "the VampPrior's pseudo-inputs"),
        Option(
            "k",
            int,
            1,
            "samples per image in the training loss (1: the ELBO, more: the IWAE "
            "bound); --iwae-k sets the evaluation's",
        ),
        Option(
            "dreg",
            bool,
            False,
            "with --k > 1: the encoder's doubly reparameterized gradient (Tucker "
            "et al. 2019)",
        ),
    ),
)
register(
    "ae",
    "gdl_vae.models.autoencoder:build_autoencoder",
    "deterministic autoencoder trained on reconstruction alone",
)
register(
    "acai",
    "gdl_vae.models.acai:build_acai",
    "autoencoder whose decoded mixes of codes must fool a critic (Berthelot "
    "et al. 2019)",
    check=checks.acai_options,
    options=(
        Option("adversarial_weight", float, 0.5, "ACAI's lambda"),
        Option("gamma", float, 0.2, "ACAI's real-image blend weight"),
    ),
)

# Keras dtype policies the kit trains under (precision.py picks among them).
DTYPE_POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")
