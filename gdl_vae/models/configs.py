"""Each model's options, written once: a TensorFlow-free dataclass per model.

A field carries its type, default, help and (in `check`) its validation. The
builder's signature and docstring (`builder`), the command line's flags, the
registry's options, the model's `get_config` and the run folder's keys are all
read from it, so an option is one line here:

    free_bits: float = option(0.1, "nats per dimension the KL may keep for free")

`ModelConfig` holds what every model is built from (latent size, networks,
learning rate); a model's config adds its own options, which its class takes
as keyword arguments and saves in its config.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

from gdl_vae.data.specs import IMAGE_SHAPE
from gdl_vae.models.checks import count, finite

ARCHITECTURES = ("conv", "dense", "linear")
# The priors' names (models/priors.py); priors.register adds a new one here.
PRIORS = ["normal", "vamp"]
KL_TERMS = ("both", "mean", "variance")
RECONSTRUCTIONS = ("bernoulli", "mse")
DECODER_INPUTS = ("both", "z1")  # what a two-layer VAE's p(x|z) is given


@dataclass(frozen=True)
class Option:
    """One field of a model's config, as the command line offers it."""

    name: str
    type: type
    default: object
    help: str
    choices: tuple = ()  # the values it may take, when they are few

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def option(default, help: str, choices: tuple = (), kind: type | None = None):
    """A config field: its default, a line of help, its choices; kind is its
    type where the default (None) does not say it."""
    kind = kind or type(default)
    return field(
        default=default, metadata={"help": help, "choices": choices, "kind": kind}
    )


@dataclass(frozen=True)
class ModelConfig:
    """What every model is built from. Constructing a config checks it."""

    latent_dim: int = option(2, "size of the latent code z; 2 to plot it")
    architecture: str = option(
        "conv", "the encoder's and decoder's networks", ARCHITECTURES
    )
    learning_rate: float = option(1e-3, "Adam's step size")

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raise ValueError unless the options make a model (subclasses add)."""
        count(self.latent_dim, "latent_dim")
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"architecture must be one of {', '.join(ARCHITECTURES)}; got "
                f"{self.architecture!r}."
            )
        finite(
            self.learning_rate,
            "learning_rate",
            1e-8,
            1.0,
            fix=" Fix: Adam's usual step is 1e-3; 1e-4 when training diverges.",
        )

    @classmethod
    def options(cls) -> tuple[Option, ...]:
        """Every field, in order, as an Option."""
        return tuple(
            Option(f.name, f.metadata["kind"], f.default, f.metadata["help"],
                   tuple(f.metadata["choices"]))
            for f in dataclasses.fields(cls)
        )  # fmt: skip

    @classmethod
    def own_options(cls) -> tuple[Option, ...]:
        """The model's own options: the fields beyond ModelConfig's."""
        common = {f.name for f in dataclasses.fields(ModelConfig)}
        return tuple(o for o in cls.options() if o.name not in common)

    @classmethod
    def default(cls, name: str):
        return next(o.default for o in cls.options() if o.name == name)

    @classmethod
    def take(cls, kwargs: dict) -> dict:
        """Pop the model's own options from kwargs (a model class's __init__):
        all of them, checked, with the defaults filled in."""
        given = {
            o.name: kwargs.pop(o.name) for o in cls.own_options() if o.name in kwargs
        }
        return cls(**given).model_options()

    def model_options(self) -> dict:
        """{name: value} of the model's own options: what its class takes."""
        return {o.name: getattr(self, o.name) for o in self.own_options()}


@dataclass(frozen=True)
class AutoencoderConfig(ModelConfig):
    reconstruction: str = option(
        "bernoulli",
        "the loss: Bernoulli NLL in nats, or squared error (a linear autoencoder "
        "with it finds the principal subspace)",
        RECONSTRUCTIONS,
    )

    def check(self) -> None:
        super().check()
        if self.reconstruction not in RECONSTRUCTIONS:
            raise ValueError(
                f"reconstruction must be one of {', '.join(RECONSTRUCTIONS)}; got "
                f"{self.reconstruction!r}."
            )


@dataclass(frozen=True)
class BoundConfig(ModelConfig):
    """What every model trained on a likelihood bound takes (VAEs)."""

    beta: float = option(1.0, "weight of the KL term (1: the ELBO)")
    prior: str = option("normal", "the prior: N(0, I) or the VampPrior", PRIORS)
    n_pseudo_inputs: int = option(500, "the VampPrior's pseudo-inputs")
    k: int = option(
        1,
        "samples per image in the training loss (1: the ELBO, more: the IWAE "
        "bound); --iwae-k sets the evaluation's",
    )

    def check(self) -> None:
        super().check()
        if self.prior not in PRIORS:
            raise ValueError(
                f"prior must be one of {', '.join(PRIORS)}; got {self.prior!r}."
            )
        count(self.k, "k", " Fix: k=1 trains on the ELBO, k=5 or 50 on IWAE.")
        count(self.n_pseudo_inputs, "n_pseudo_inputs")
        finite(self.beta, "beta", 0, fix=" beta=1 is the ELBO.")


@dataclass(frozen=True)
class VAEConfig(BoundConfig):
    dreg: bool = option(
        False,
        "with k > 1: the encoder's doubly reparameterized gradient (Tucker et al. "
        "2019)",
    )
    kl_term: str = option(
        "both", "the part of the KL the loss keeps (sigma stays learned)", KL_TERMS
    )
    fixed_scale: float | None = option(
        None, "freeze q(z|x)'s standard deviation at this value", kind=float
    )

    def check(self) -> None:
        super().check()
        if self.kl_term not in KL_TERMS:
            raise ValueError(
                f"kl_term must be one of {KL_TERMS}; got {self.kl_term!r}."
            )
        if self.kl_term != "both" and (self.prior != "normal" or self.k > 1):
            raise ValueError(
                f"kl_term={self.kl_term!r} splits the KL to N(0, I); it needs "
                "prior='normal' and k=1."
            )
        if self.dreg and (self.prior != "normal" or self.k == 1):
            raise ValueError(
                "dreg=True needs k > 1 and prior='normal': it is a gradient of the "
                f"importance-weighted bound; got k={self.k}, prior={self.prior!r}."
            )
        if self.fixed_scale is not None and not self.fixed_scale > 0:
            raise ValueError(
                f"fixed_scale must be > 0 or None; got {self.fixed_scale}."
            )


@dataclass(frozen=True)
class HierarchicalVAEConfig(BoundConfig):
    """Two stochastic layers: z1 next to the image, z2 above it; the prior is
    the top layer's (hierarchical.py)."""

    latent_dim: int = option(
        64, "size of z = [z1, z2]: z1 next to the image, then z2 above it"
    )
    architecture: str = option(
        "dense", "the networks (multilayer perceptrons)", ("dense",)
    )
    top_dim: int | None = option(
        None, "how many of z's dimensions are z2, the top layer (None: half)", kind=int
    )
    free_bits: float = option(
        0.0,
        "nats per latent dimension each layer's KL keeps for free in training "
        "(Kingma et al. 2016; 0: the ELBO)",
    )
    decoder_sees: str = option(
        "both",
        "what p(x|z) is given: both layers (Tomczak & Welling's HVAE) or z1 "
        "alone, z2 reaching the image only through p(z1|z2) (Burda et al.'s "
        "two-layer model, the ladder VAE)",
        DECODER_INPUTS,
    )

    @staticmethod
    def z2_size(latent_dim: int, top_dim: int | None) -> int:
        """How many of the latent_dim numbers of z are z2: top_dim, or half."""
        return latent_dim // 2 if top_dim is None else top_dim

    def check(self) -> None:
        super().check()
        if self.architecture != "dense":
            raise ValueError(
                "a hierarchical VAE's networks are dense; got architecture="
                f"{self.architecture!r}."
            )
        top = self.z2_size(self.latent_dim, self.top_dim)
        count(top, "top_dim", " Fix: latent_dim counts both layers; give it 2 or more.")
        if top >= self.latent_dim:
            raise ValueError(
                f"top_dim must be below latent_dim, which counts both layers; got "
                f"top_dim={self.top_dim}, latent_dim={self.latent_dim}. Fix: "
                "latent_dim=64, top_dim=32 gives z1 and z2 32 dimensions each."
            )
        finite(self.free_bits, "free_bits", 0, fix=" 0 trains on the ELBO.")
        if self.decoder_sees not in DECODER_INPUTS:
            raise ValueError(
                f"decoder_sees must be one of {', '.join(DECODER_INPUTS)}; got "
                f"{self.decoder_sees!r}."
            )
        if self.free_bits and self.k > 1:
            raise ValueError(
                "free_bits clamps each layer's KL term of the ELBO; it needs k=1, "
                f"got k={self.k}."
            )


@dataclass(frozen=True)
class ACAIConfig(ModelConfig):
    """Berthelot et al.'s settings: a 32-D code, Adam at 1e-4 for both networks."""

    latent_dim: int = option(32, "size of the code (paper: 32)")
    learning_rate: float = option(1e-4, "the autoencoder's Adam step size (paper)")
    adversarial_weight: float = option(
        0.5, "ACAI's lambda, the critic's weight in the autoencoder's loss"
    )
    gamma: float = option(0.2, "ACAI's real-image blend weight")
    critic_learning_rate: float = option(1e-4, "the critic's Adam step size (paper)")

    def check(self) -> None:
        super().check()
        finite(
            self.adversarial_weight,
            "adversarial_weight",
            0,
            fix=" (the paper's lambda is 0.5; 0 is a plain autoencoder)",
        )
        finite(self.gamma, "gamma", 0, 1, fix=" (paper: 0.2)")
        finite(self.critic_learning_rate, "critic_learning_rate", 1e-8, 1.0)


def builder(config_class: type[ModelConfig]) -> Callable[[Callable], Callable]:
    """Make `build(config, *, image_shape, dtype_policy, seed,
    steps_per_execution)` the public builder every model has:

        build(latent_dim, architecture, *, image_shape, learning_rate,
              dtype_policy, seed, steps_per_execution, **its options)

    with the config's defaults (None: the default), a signature and a
    docstring that list them, and `.config` naming the config class.
    """

    def wrap(build: Callable) -> Callable:
        @functools.wraps(build)
        def public(latent_dim=None, architecture=None, *, image_shape=IMAGE_SHAPE,
                   dtype_policy=None, seed=None, steps_per_execution=None,
                   **options):  # fmt: skip
            given = {"latent_dim": latent_dim, "architecture": architecture, **options}
            unknown = set(given) - {o.name for o in config_class.options()}
            if unknown:
                raise TypeError(
                    f"{build.__name__}() got unexpected options {sorted(unknown)}; "
                    f"it takes {', '.join(o.name for o in config_class.options())}."
                )
            config = config_class(**{k: v for k, v in given.items() if v is not None})
            return build(
                config,
                image_shape=tuple(image_shape),
                dtype_policy=dtype_policy,
                seed=seed,
                steps_per_execution=steps_per_execution,
            )

        public.config = config_class
        public.__signature__ = _signature(config_class, build)
        public.__doc__ = (build.__doc__ or "") + _options_doc(config_class)
        return public

    return wrap


def _signature(config_class: type[ModelConfig], build: Callable) -> inspect.Signature:
    kinds = inspect.Parameter
    options = config_class.options()
    first = [kinds(o.name, kinds.POSITIONAL_OR_KEYWORD, default=o.default)
             for o in options[:2]]  # fmt: skip
    extra = {"image_shape": IMAGE_SHAPE, "dtype_policy": None, "seed": None,
             "steps_per_execution": None}  # fmt: skip
    rest = [kinds(name, kinds.KEYWORD_ONLY, default=d) for name, d in extra.items()]
    rest += [kinds(o.name, kinds.KEYWORD_ONLY, default=o.default) for o in options[2:]]
    returns = inspect.signature(build).return_annotation
    return inspect.Signature(first + rest, return_annotation=returns)


def _options_doc(config_class: type[ModelConfig]) -> str:
    lines = [f"\n    Options ({config_class.__name__}, defaults in brackets):"]
    for o in config_class.options():
        choices = f"; one of {', '.join(map(str, o.choices))}" if o.choices else ""
        lines.append(f"        {o.name}: {o.help}{choices} [{o.default}]")
    lines.append(
        "        image_shape, dtype_policy, seed, steps_per_execution: the images'"
        "\n            shape, a Keras dtype policy (None: the global one), the"
        "\n            seed of the model's own draws, training steps per compiled"
        f"\n            call (None: base.STEPS_PER_EXECUTION) [{IMAGE_SHAPE}]"
    )
    return "\n".join(lines) + "\n"
