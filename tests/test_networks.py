"""Encoder, decoder and critic builders for each architecture."""

import numpy as np
import pytest

from gdl_vae.models import configs
from gdl_vae.models.networks import build_critic, build_decoder, build_encoder


@pytest.mark.parametrize("architecture", configs.ARCHITECTURES)
def test_each_architecture_maps_images_to_codes_and_back(architecture):
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    z_mean, z_log_var = build_encoder(5, architecture)(x)
    assert z_mean.shape == z_log_var.shape == (3, 5)
    assert build_encoder(5, architecture, variational=False)(x).shape == (3, 5)
    assert build_decoder(5, architecture)(np.zeros((3, 5), "float32")).shape == (
        3, 28, 28, 1,
    )  # fmt: skip
    assert build_critic(architecture)(x).shape == (3,)


def test_the_linear_architecture_is_one_affine_map_each_way():
    encoder, decoder = (
        build_encoder(4, "linear", variational=False),
        build_decoder(4, "linear"),
    )
    assert [len(layer.weights) for layer in encoder.layers if layer.weights] == [2]
    assert [len(layer.weights) for layer in decoder.layers if layer.weights] == [2]


def test_output_layers_stay_float32_under_mixed_precision():
    encoder = build_encoder(2, "conv", dtype="mixed_bfloat16")
    decoder = build_decoder(2, "conv", dtype="mixed_bfloat16")
    assert encoder.layers[1].compute_dtype == "bfloat16"
    assert encoder.get_layer("z_mean").compute_dtype == "float32"
    assert decoder.get_layer("logits").compute_dtype == "float32"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"latent_dim": 0}, "latent_dim must be a whole number >= 1"),
        ({"architecture": "resnet"}, "architecture must be one of conv, dense"),
        ({"image_shape": (30, 30, 1)}, "multiples of 4"),
        ({"image_shape": (28, 28)}, r"image_shape must be \(height, width"),
    ],
)
def test_bad_arguments_say_what_was_expected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_encoder(**{"latent_dim": 2, "architecture": "conv", **kwargs})
