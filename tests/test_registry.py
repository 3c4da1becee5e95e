"""The registry: models by name, read without TensorFlow, and open to new models.

The last test is the proof that the house works: a model defined here, in the
test file, registered in one line, trains, saves, loads, samples and evaluates
through `gdl-vae` with no other change to the package.
"""

import inspect
import json
import subprocess
import sys
from dataclasses import dataclass

import keras
import pytest
from keras import ops

import gdl_vae
from gdl_vae import _quiet
from gdl_vae.cli import _parser, main, run_config
from gdl_vae.models import registry
from gdl_vae.models.configs import VAEConfig, builder, option
from gdl_vae.models.networks import build_decoder, build_encoder
from gdl_vae.models.vae import VAE


def run_python(code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`python -c code` in a fresh interpreter, its output captured."""
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout
    )


def test_the_registry_and_the_command_line_read_without_tensorflow():
    code = (
        "import sys; import gdl_vae.models.registry, gdl_vae.data.specs, "
        "gdl_vae.cli; gdl_vae.cli._parser(); "
        "print(sorted(gdl_vae.models.registry.MODELS)); "
        "assert 'tensorflow' not in sys.modules, 'TensorFlow was imported'"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(sorted(registry.MODELS))


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    """A small VAE and ACAI, saved."""
    folder = tmp_path_factory.mktemp("saved")
    for name in ("vae", "acai"):
        model = gdl_vae.models.build_model(name, 2, "dense", image_shape=(8, 8, 1))
        model.save(folder / f"{name}.keras")
    return folder


@pytest.mark.parametrize(
    "imports",
    ["import gdl_vae", "import gdl_vae, tensorflow, keras", "import keras, gdl_vae"],
)
def test_gdl_vae_load_model_loads_in_a_fresh_process_with_no_import_hook(
    imports, saved_models
):
    code = (
        f"{imports}; import sys; "
        f"vae = gdl_vae.load_model({str(saved_models / 'vae.keras')!r}); "
        f"acai = gdl_vae.load_model({str(saved_models / 'acai.keras')!r}); "
        "hooks = [type(f).__name__ for f in sys.meta_path if 'gdl_vae' in "
        "type(f).__module__]; "
        "print(type(vae).__name__, type(acai).__name__, hooks)"
    )
    result = run_python(code, timeout=120)
    assert result.returncode == 0, result.stderr
    # No hook is left once TensorFlow is in: it only silenced TensorFlow's import.
    assert result.stdout.split() == ["VAE", "ACAI", "[]"]
    if imports.startswith("import gdl_vae"):  # TensorFlow's start-up log is silenced
        assert "oneDNN" not in result.stderr and "cuda" not in result.stderr.lower()


@pytest.mark.parametrize("name", sorted(registry.MODELS))
def test_the_cli_the_builder_and_a_saved_model_agree_on_every_default(name, tmp_path):
    entry = registry.get(name)
    defaults = {o.name: o.default for o in entry.config.options()}
    config, _ = run_config(_parser().parse_args(["train", "--model", name]))
    assert {key: config[key] for key in defaults} == defaults
    signature = inspect.signature(entry.load_builder()).parameters
    assert {key: signature[key].default for key in defaults} == defaults

    built = entry.load_builder()()
    built.optimizer.build(built.trainable_variables)  # saved with its state
    built.save(tmp_path / "model.keras")
    model = gdl_vae.load_model(tmp_path / "model.keras")
    own = {o.name for o in entry.options}
    assert {key: model.get_config()[key] for key in own} == {
        key: defaults[key] for key in own
    }
    assert model.latent_dim == defaults["latent_dim"]
    learning_rate = float(model.optimizer.learning_rate.numpy())
    assert learning_rate == pytest.approx(defaults["learning_rate"])
    layers = {type(layer).__name__ for layer in model.encoder.layers}
    assert ("Conv2D" in layers) == (defaults["architecture"] == "conv")


def test_acai_trains_with_the_papers_settings_from_the_command_line():
    config, options = run_config(_parser().parse_args(["train", "--model", "acai"]))
    assert (config["latent_dim"], config["learning_rate"]) == (32, 1e-4)
    assert options == {
        "adversarial_weight": 0.5, "gamma": 0.2, "critic_learning_rate": 1e-4
    }  # fmt: skip


def test_help_lists_every_registered_model_option_and_dataset(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for entry in registry.MODELS.values():
        assert entry.name in text
        for own in entry.options:
            assert own.flag in text
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
    assert "--beta is an option of vae and hvae, not of ae" in capsys.readouterr().err
    with pytest.raises(ValueError, match="register 'x' with its config"):
        registry.register("x", "m:f", "help")


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


@dataclass(frozen=True)
class FreeBitsConfig(VAEConfig):
    """The VAE's options, a smaller default code, and one option more."""

    latent_dim: int = option(4, "size of the latent code z")
    free_bits: float = option(0.1, "nats per dimension the KL keeps for free")

    def check(self) -> None:
        super().check()
        if not self.free_bits >= 0:
            raise ValueError(f"free_bits must be >= 0; got {self.free_bits}.")


@keras.saving.register_keras_serializable(package="gdl_vae_tests")
class FreeBitsVAE(VAE):
    """A VAE whose KL term counts only above a floor of `free_bits` nats per
    dimension (Kingma et al. 2016): a different KL weighting, nothing else."""

    config_class = FreeBitsConfig  # self.free_bits, saved with the model

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


@builder(FreeBitsConfig)
def build_free_bits_vae(
    config, *, image_shape, dtype_policy, seed, steps_per_execution
):
    dim, architecture = config.latent_dim, config.architecture
    model = FreeBitsVAE(
        build_encoder(dim, architecture, image_shape, True, dtype_policy),
        build_decoder(dim, architecture, image_shape, dtype_policy),
        seed=seed,
        **config.model_options(),
        dtype=dtype_policy,
    )
    model.compile(keras.optimizers.Adam(config.learning_rate), steps_per_execution=1)
    return model


@pytest.fixture
def free_bits_registered():
    registry.register("free_bits_vae", build_free_bits_vae, "a VAE with free bits")
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
    loaded = gdl_vae.load_model(out / "model.keras")
    assert type(loaded) is FreeBitsVAE and loaded.free_bits == 0.2
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["elbo"] < metrics["iwae"]["10"] < 0  # it has a bound
    assert main(["sample", str(out), "--n", "4"]) == 0
    assert main(["evaluate", str(out), "--k", "5"]) == 0
    assert (
        "importance-weighted bound (k=5, all 10,000 images)" in capsys.readouterr().out
    )
    assert (out / "samples.png").stat().st_size > 0


def test_only_the_known_start_up_notices_are_dropped_from_stderr():
    # What TensorFlow 2.21 prints on import, with a real diagnostic among it.
    captured = (
        "WARNING: All log messages before absl::InitializeLog() is called are "
        "written to STDERR\n"
        "I0000 port.cc:153] oneDNN custom operations are on. You may see ...\n"
        "E0000 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR (303)\n"
        "E0000 some_kernel.cc:9] a real problem\n"
    )
    assert _quiet.kept_lines(captured, gpu_present=False) == (
        "E0000 some_kernel.cc:9] a real problem\n"
    )
    # With an NVIDIA device, a failing cuInit is a problem to show.
    kept = _quiet.kept_lines(captured, gpu_present=True)
    assert "cuInit" in kept and "oneDNN" not in kept


def test_a_diagnostic_during_the_import_still_reaches_stderr():
    code = (
        "import os, gdl_vae._quiet as q\n"
        "with q._silenced_stderr():\n"
        "    os.write(2, b'I0000 oneDNN custom operations are on\\n')\n"
        "    os.write(2, b'E0000 a real problem\\n')\n"
    )
    result = run_python(code)
    assert result.stderr == "E0000 a real problem\n"
