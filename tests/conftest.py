"""Shared fixtures: the shipped MNIST test set, loaded offline, and small models."""

import os
import shutil
import warnings
from pathlib import Path

import keras
import pytest

import gdl_vae


@pytest.fixture(scope="session", autouse=True)
def offline(tmp_path_factory):
    """Same data on every machine: no download, an empty Keras cache, an empty
    cache of trained models."""
    names = ("GDL_VAE_OFFLINE", "KERAS_HOME", "GDL_VAE_CACHE")
    saved = {k: os.environ.get(k) for k in names}
    os.environ["GDL_VAE_OFFLINE"] = "1"
    os.environ["KERAS_HOME"] = str(tmp_path_factory.mktemp("keras_home"))
    os.environ["GDL_VAE_CACHE"] = str(tmp_path_factory.mktemp("model_cache"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def mnist(offline):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return gdl_vae.load_dataset("mnist")


@pytest.fixture(scope="session")
def binary(mnist):
    """Statically binarized train (first 2,000) and held-out (first 500) images."""
    return (
        gdl_vae.binarize(mnist.x_train[:2000], "static"),
        gdl_vae.binarize(mnist.x_test[:500], "static"),
    )


@pytest.fixture(scope="session")
def trained_vae(binary):
    """A dense VAE trained briefly: its posterior is informative, not exact."""
    keras.utils.set_random_seed(0)
    vae = gdl_vae.build_vae(latent_dim=2, architecture="dense")
    vae.fit(binary[0], epochs=3, batch_size=100, verbose=0)
    return vae


@pytest.fixture(scope="session")
def chromium() -> str:
    """A headless browser for the website's and the explorer's tests: Debian's
    Chromium driven by Playwright. Skips, saying what is missing, without it."""
    pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
    candidates = [os.environ.get("GDL_VAE_CHROMIUM")]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser")]
    for path in candidates:
        if path and Path(path).is_file():
            return path
    pytest.skip(
        "no Chromium: install Debian's `chromium` package (apt-get install "
        "chromium) or set GDL_VAE_CHROMIUM to a Chromium executable"
    )
