"""Continuity, memorisation and read-out measures of a decoder."""

import math

import numpy as np
import pytest

from gdl_vae.measure import evaluation


class _Decoder:
    """A stand-in model whose decode_mean is a fixed function of z."""

    image_shape = (2, 2, 1)

    def __init__(self, fn):
        self.fn = fn

    def decode_mean(self, z):
        return np.stack([self.fn(v) for v in z]).reshape(-1, *self.image_shape)


def test_continuity_of_a_linear_decoder_is_perfectly_even():
    model = _Decoder(lambda v: np.array([v[0], v[1], 0.0, 0.0]))
    start, end = np.zeros((3, 2)), np.array([[1.0, 0], [0, 1], [1, 1]])
    result = evaluation.continuity(model, start, end, frames=11)
    assert result["largest_step_share"] == pytest.approx(0.1)
    assert result["path_ratio"] == pytest.approx(1.0)
    steps = evaluation.step_changes(model, start, end, frames=11)
    assert steps.shape == (3, 10)
    np.testing.assert_allclose(steps, steps[:, :1] * np.ones((1, 10)), rtol=1e-5)


def test_continuity_of_a_jumping_decoder_is_one_jump():
    model = _Decoder(lambda v: np.full(4, float(v[0] > 0.5)))
    result = evaluation.continuity(model, np.zeros((1, 2)), np.ones((1, 2)), frames=10)
    assert result["largest_step_share"] == pytest.approx(1.0)
    assert result["path_ratio"] == pytest.approx(1.0)


def test_blur_lowers_the_step_change_but_a_jump_stays_a_jump(mnist):
    """The check notebook 03 shows: blurring a jumpy path makes its steps smaller
    (step_change rewards blur) but leaves it one jump (largest_step_share)."""
    from gdl_vae.measure.classifier import blurred

    a, b = mnist.x_test[:8], mnist.x_test[8:16]
    switch = np.arange(20) >= 10  # 10 frames of a, then 10 of b
    jumpy = np.where(switch[None, :, None, None, None], b[:, None], a[:, None])
    t = np.linspace(0, 1, 20)[None, :, None, None, None]
    fade = (1 - t) * a[:, None] + t * b[:, None]
    for sigma in (1.0, 2.0):
        sharp = evaluation.path_continuity(jumpy)
        soft = evaluation.path_continuity(
            blurred(jumpy.reshape(-1, 28, 28, 1), sigma).reshape(jumpy.shape)
        )
        assert soft["step_change"] < 0.8 * sharp["step_change"]
        assert soft["largest_step_share"] == pytest.approx(1.0)
    soft_fade = blurred(fade.reshape(-1, 28, 28, 1), 2.0).reshape(fade.shape)
    even = evaluation.path_continuity(soft_fade)
    assert even["largest_step_share"] == pytest.approx(1 / 19, rel=1e-3)
    with pytest.raises(ValueError, match="frames"):
        evaluation.path_continuity(a[:, None])  # one frame per path


def test_continuity_sees_a_detour():
    # Out to 1 and back to 0 in pixel 0 while pixel 1 goes 0 -> 1.
    model = _Decoder(lambda v: np.array([math.sin(math.pi * v[0]), v[0], 0, 0]))
    result = evaluation.continuity(model, np.zeros((1, 2)), np.ones((1, 2)), frames=201)
    # Length of the curve (sin(pi t), t), integral of sqrt(1 + pi^2 cos^2(pi t))
    # over [0, 1], over the direct distance 1.
    assert result["path_ratio"] == pytest.approx(2.3049, abs=1e-3)


def test_direction_changes_grow_with_the_step(trained_vae, binary):
    codes = trained_vae.codes(binary[1][:50])
    none = evaluation.direction_changes(trained_vae, codes, 0.0, seed=0)
    small = evaluation.direction_changes(trained_vae, codes, 0.05, seed=0)
    large = evaluation.direction_changes(trained_vae, codes, 1.0, seed=0)
    assert none.shape == (50,) and np.all(none == 0)
    assert 0 < small.mean() < large.mean()


def test_nearest_image_distances_find_copies(binary):
    train = binary[0][:300]
    copies = evaluation.nearest_image_distances(train[:20], train)
    assert np.allclose(copies, 0.0, atol=1e-3)
    others = evaluation.nearest_image_distances(binary[1][:20], train)
    assert np.all(others > 0.05)


def test_nearer_training_share_tells_copies_from_new_digits(mnist):
    train, held_out = mnist.x_train[:500], mnist.x_test[:500]
    share = evaluation.nearer_training_share
    assert share(train[:100], train, held_out) == 1.0  # copies of training images
    assert share(held_out[:100], train, held_out) == 0.0
    new = mnist.x_train[1000:1400]  # digits neither set holds: about even
    assert 0.4 < share(new, train, held_out) < 0.6
    # a light blur moves both distances about alike: still about even (a heavy
    # one pulls the share down; notebook 04 measures it)
    blurred = (new + np.roll(new, 1, axis=1) + np.roll(new, 1, axis=2)) / 3
    assert 0.4 < share(blurred, train, held_out) < 0.6
    with pytest.raises(ValueError, match="as many training as held-out"):
        share(new, train, held_out[:100])


def test_latent_classifier_hits_separate_informative_from_random_codes():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 2000)
    centres = rng.normal(size=(10, 8)) * 3
    informative = centres[y] + rng.normal(size=(2000, 8))
    noise = rng.normal(size=(2000, 8))

    def hits(*args):
        return evaluation.latent_classifier_hits(*args, epochs=20)

    good = hits(informative[:1500], y[:1500], informative[1500:], y[1500:])
    chance = hits(noise[:1500], y[:1500], noise[1500:], y[1500:])
    assert good.shape == (500,) and good.dtype == bool
    assert good.mean() > 0.9 and chance.mean() < 0.2
    with pytest.raises(ValueError, match="one label per code"):
        hits(noise, y[:10], noise, y)
