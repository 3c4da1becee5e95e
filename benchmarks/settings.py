"""How much each part of the benchmark runs, and the published rows it is read
beside: the full run's settings, the quick smoke test's, and the literature."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("throughput", "quality", "literature", "scale", "notebooks")
BURDA = "Burda, Grosse & Salakhutdinov 2016, Table 1"
PYTHAE = "Chadebec et al. 2022 (pythae), benchmark"
TOMCZAK = "Tomczak & Welling 2018, Table 2"
PUBLISHED = (  # dynamically binarized MNIST, NLL in nats; layers: stochastic ones
    {"model": "VAE", "source": BURDA, "layers": 1, "epochs": 3280, "nll": 86.76},
    {"model": "IWAE, k = 5", "source": BURDA, "layers": 1, "epochs": 3280,
     "nll": 85.54},
    {"model": "IWAE, k = 50", "source": BURDA, "layers": 1, "epochs": 3280,
     "nll": 84.78},
    {"model": "VampPrior", "source": TOMCZAK, "layers": 1, "epochs": None,
     "nll": 85.57},
    {"model": "VAE", "source": PYTHAE, "layers": 1, "epochs": None, "nll": 89.78},
    {"model": "IWAE", "source": PYTHAE, "layers": 1, "epochs": None, "nll": 86.82},
    {"model": "VampPrior", "source": PYTHAE, "layers": 1, "epochs": None,
     "nll": 85.79},
    {"model": "VAE", "source": BURDA, "layers": 2, "epochs": 3280, "nll": 85.33},
    {"model": "IWAE, k = 5", "source": BURDA, "layers": 2, "epochs": 3280,
     "nll": 83.89},
    {"model": "IWAE, k = 50", "source": BURDA, "layers": 2, "epochs": 3280,
     "nll": 82.90},
    {"model": "HVAE + VampPrior", "source": TOMCZAK, "layers": 2, "epochs": None,
     "nll": 83.19},
)  # fmt: skip
# The NLL each number of stochastic layers is to reach within `minutes` of
# training on the benchmark machine: the published row it is read against.
GOALS = (
    {"layers": 1, "nll": 86.76, "minutes": 60,
     "what": "Burda et al. 2016's VAE, 3,280 epochs"},
    {"layers": 2, "nll": 82.90, "minutes": 60,
     "what": "Burda et al. 2016's two-layer IWAE, k = 50, 3,280 epochs"},
)  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """How much of each part to run; --quick shrinks everything."""

    n_train: int | None  # None: the whole training split
    n_test: int | None
    throughput_images: int  # images seen per throughput row (whole epochs)
    throughput_repeats: int  # interleaved rounds of the ladder; speeds are medians
    budget_s: float  # per recipe, part 2
    iwae_k: int
    iwae_images: int
    literature_budget_s: float  # per recipe of the literature table
    literature_long_s: float  # for the best combination
    literature_k: int
    curve_every_s: float  # NLL-against-time points of the best combination
    curve_k: int
    curve_images: int
    scale_epochs: int
    scale_train: int | None
    scale_test_iwae: int
    scale_iwae_k: int
    profile_repeats: int  # timed passes per layer in the throughput profile
    notebooks: int | None  # how many notebooks to time (None: all)
    notebook_modes: tuple[str, ...]  # "quick" and/or "full"


FULL = Settings(
    n_train=None,
    n_test=None,
    throughput_images=180_000,
    throughput_repeats=3,
    budget_s=120.0,
    iwae_k=1000,
    iwae_images=1000,
    literature_budget_s=600.0,
    literature_long_s=3600.0,
    literature_k=5000,
    curve_every_s=300.0,
    curve_k=500,
    curve_images=500,
    scale_epochs=10,
    scale_train=None,
    scale_test_iwae=2000,
    scale_iwae_k=1000,
    profile_repeats=20,
    notebooks=None,
    notebook_modes=("quick", "full"),
)
QUICK = Settings(
    n_train=1024,
    n_test=256,
    throughput_images=2_048,
    throughput_repeats=2,
    budget_s=2.0,
    iwae_k=20,
    iwae_images=64,
    literature_budget_s=2.0,
    literature_long_s=3.0,
    literature_k=20,
    curve_every_s=1.0,
    curve_k=10,
    curve_images=32,
    scale_epochs=1,
    scale_train=1024,
    scale_test_iwae=64,
    scale_iwae_k=20,
    profile_repeats=2,
    notebooks=1,
    notebook_modes=("quick",),
)
