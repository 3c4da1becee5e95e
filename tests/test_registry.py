"""The registry: models by name, read without TensorFlow, and open to new models.

The last test is the proof that the house works: a model defined here, in the
test file, registered in one line, trains, saves, loads, samples and evaluates
through `gdl-vae` with no other change to the package.
"""

import json
import subprocess
import sys

import keras
import pytest
from keras import ops

import gdl_vae
from gdl_vae.cli import main
from gdl_vae.models import registry
from gdl_vae.models.networks import build_decoder, build_encoder
from gdl_vae.models.vae import VAE


def test_the_registry_and_the_command_line_read_without_tensorflow():
    code = (
        "import sys; import gdl_vae.models.registry, gdl_vae.data.specs, "
        "gdl_vae.cli; gdl_vae.cli._parser(); "
        "print(sorted(gdl_vae.models.registry.MODELS)); "
        "assert 'tensorflow' not in sys.modules, 'TensorFlow was imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(sorted(registry.MODELS))


@pytest.mark.parametrize(
    "imports",
    [
        "import gdl_vae, keras",
        "import gdl_vae, tensorflow, keras",
        "import keras, gdl_vae",
    ],
)
def test_after_import_gdl_vae_keras_knows_its_models(imports):
    code = (
        f"{imports}; print(keras.saving.get_registered_object('gdl_vae>VAE'), "
        "keras.saving.get_registered_object('gdl_vae>ACAI'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "VAE" in result.stdout and "ACAI" in result.stdout
    if imports.startswith("import gdl_vae"):  # TensorFlow's start-up log is silenced
        assert "oneDNN" not in result.stderr and "cuda" not in result.stderr.lower()


def test_help_lists_every_registered_model_option_and_dataset(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for entry in registry.MODELS.values():
        assert entry.name in text
        for option in entry.options:
            assert option.flag in text
    for name in gdl_vae.data.DATASETS:
        assert name in text
    for policy in registry.DTYPE_POLICIES:
        assert policy in text


def test_build_model_builds_each_registered_model_by_name():
    for name in ("vae", "ae", "acai"):
        model = gdl_vae.models.build_model(name, 3, "dense")
        assert isinstance(model, gdl_vae.LatentModel) and model.latent_dim == 3
    assert gdl_vae.models.build_model("vae").has_prior
    assert not gdl_vae.models.build_model("ae", 2, "dense").has_prior


def test_an_unknown_model_or_a_misplaced_option_is_a_clear_error(capsys):
    with pytest.raises(ValueError, match="unknown model 'gan'; registered: vae"):
        registry.get("gan")
    assert main(["train", "--model", "ae", "--beta", "2", "--epochs", "1"]) == 2
    assert "--beta is an option of vae, not of ae" in capsys.readouterr().err
    with pytest.raises(ValueError, match="defaults may set"):
        registry.register("x", "m:f", "help", beta=2.0)


def test_every_builder_takes_the_same_arguments():
    for entry in registry.MODELS.values():
        model = entry.load_builder()(
            2,
            "dense",
            image_shape=(12, 12, 1),
            learning_rate=1e-3,
            dtype_policy="float32",
            seed=0,
            steps_per_execution=1,
        )
        assert model.image_shape == (12, 12, 1)


# -- a new model, defined here ----------------------------------------------


@keras.saving.register_keras_serializable(package="gdl_vae_tests")
class FreeBitsVAE(VAE):
    """A VAE whose KL term counts only above a floor of `free_bits` nats per
    dimension (Kingma et al. 2016): a different KL weighting, nothing else."""

    def __init__(self, *args, free_bits: float = 0.1, **kwargs):
        super().__init__(*args, **kwargs)
        self.free_bits = free_bits

    def loss_terms(self, x, training: bool = False) -> dict:
        z_mean, z_log_var = self.posterior_parameters(x, training=training)
        z = self.sampling([z_mean, z_log_var])
        reconstruction = self.reconstruction_loss(x, self.decoder(z))
        per_dim = 0.5 * (ops.square(z_mean) + ops.exp(z_log_var) - 1.0 - z_log_var)
        kl = ops.mean(ops.sum(per_dim, axis=-1))
        clipped = ops.sum(ops.maximum(ops.mean(per_dim, axis=0), self.free_bits))
        return {
            "loss": reconstruction + self.beta * clipped,
            "reconstruction_loss": reconstruction,
            "kl_loss": kl,
        }

    def get_config(self) -> dict:
        return {**super().get_config(), "free_bits": self.free_bits}


def build_free_bits_vae(
    latent_dim=2, architecture="conv", *, image_shape=(28, 28, 1),
    learning_rate=1e-3, dtype_policy=None, seed=None, steps_per_execution=None,
    free_bits=0.1,
):  # fmt: skip
    model = FreeBitsVAE(
        build_encoder(latent_dim, architecture, image_shape, True, dtype_policy),
        build_decoder(latent_dim, architecture, image_shape, dtype_policy),
        seed=seed,
        free_bits=free_bits,
        dtype=dtype_policy,
    )
    model.compile(keras.optimizers.Adam(learning_rate), steps_per_execution=1)
    return model


@pytest.fixture
def free_bits_registered():
    registry.register(
        "free_bits_vae", build_free_bits_vae, "a VAE with free bits",
        options=(registry.Option("free_bits", float, 0.1, "nats per dimension"),),
        latent_dim=4,
    )  # fmt: skip
    yield
    del registry.MODELS["free_bits_vae"]


def test_a_model_registered_in_one_line_runs_through_the_command_line(
    free_bits_registered, tmp_path, capsys
):
    out = tmp_path / "run"
    train = [
        *"train --model free_bits_vae --free-bits 0.2 --architecture dense".split(),
        *"--limit 512 --epochs 2 --iwae-k 10 --dtype-policy float32".split(),
        *["--out", str(out)],
    ]
    assert main(train) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["model"] == "free_bits_vae" and config["free_bits"] == 0.2
    assert config["latent_dim"] == 4  # its registered default
    loaded = keras.models.load_model(out / "model.keras")
    assert type(loaded) is FreeBitsVAE and loaded.free_bits == 0.2
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["elbo"] < metrics["iwae"]["10"] < 0  # it has a bound
    assert main(["sample", str(out), "--n", "4"]) == 0
    assert main(["evaluate", str(out), "--k", "5"]) == 0
    assert (
        "importance-weighted bound (k=5, all 10,000 images)" in capsys.readouterr().out
    )
    assert (out / "samples.png").stat().st_size > 0
