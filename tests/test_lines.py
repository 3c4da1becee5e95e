"""The lines benchmark: the data, and the two metrics on interpolations whose
answer is known (true lines, a pixel cross-fade, a jump)."""

import math

import numpy as np
import pytest

from gdl_vae.measure import lines


def test_lines_have_fixed_length_and_point_the_right_way():
    images = lines.draw_lines([0.0, math.pi / 2, math.pi, 3 * math.pi / 2, 1.0])
    assert images.shape == (5, 32, 32, 1) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    ink = images.sum(axis=(1, 2, 3))  # area: length 15 x width 2
    np.testing.assert_allclose(ink, 30.0, rtol=0.05)
    east, north, west, south = (image[..., 0] for image in images[:4])
    assert east[:, 17:].sum() > 25 and east[:, :15].sum() == 0
    assert north[:15].sum() > 25 and north[17:].sum() == 0  # rows grow downwards
    assert west[:, :15].sum() > 25 and south[17:].sum() > 25
    # anti-aliased: an oblique line has partly covered pixels
    assert np.any((images[4] > 0.05) & (images[4] < 0.95))


def test_make_lines_is_seeded_and_checks_its_arguments():
    a, angles = lines.make_lines(10, seed=3)
    b, _ = lines.make_lines(10, seed=3)
    np.testing.assert_array_equal(a, b)
    assert np.all((angles >= 0) & (angles < 2 * math.pi))
    with pytest.raises(ValueError, match="whole number"):
        lines.make_lines(0)
    with pytest.raises(ValueError, match="finite"):
        lines.draw_lines([np.nan])


def test_closest_lines_recovers_the_angle_of_a_true_line():
    angles = np.random.default_rng(0).uniform(0, 2 * math.pi, 50)
    distance, found = lines.closest_lines(lines.draw_lines(angles))
    assert distance.max() < 2e-3
    error = np.abs((found - angles + math.pi) % (2 * math.pi) - math.pi)
    assert error.max() < 0.02
    # a cross-fade of two lines is no line: far from every true one
    fade = 0.5 * (lines.draw_lines([0.0]) + lines.draw_lines([math.pi / 2]))
    assert lines.closest_lines(fade)[0][0] > 20 * distance.max()
    with pytest.raises(ValueError, match="line images"):
        lines.closest_lines(np.zeros((2, 32, 32)))


def test_smoothness_is_zero_for_an_even_turn_and_high_for_a_jump():
    even = np.linspace(0.5, 2.0, 16)
    jump = np.where(np.arange(16) < 8, 0.5, 2.0)
    score = lines.smoothness(np.stack([even, jump]))
    assert score[0] == pytest.approx(0.0, abs=1e-12)
    assert score[1] == pytest.approx(1 - 1 / 15)
    # across 2 pi: 6.0 ... 0.4 is an even small turn once unwrapped
    wrapped = np.mod(np.linspace(6.0, 6.0 + 0.7, 16), 2 * math.pi)
    assert lines.smoothness(wrapped)[0] == pytest.approx(0.0, abs=1e-9)
    assert np.isnan(lines.smoothness(np.full(16, 1.0))[0])  # no turn to share


def test_true_interpolation_scores_near_perfect_and_a_cross_fade_does_not():
    rng = np.random.default_rng(1)
    start, end = rng.uniform(0, 2 * math.pi, (2, 20))
    truth = lines.true_interpolation(start, end)
    assert truth.shape == (20, 16, 32, 32, 1)
    ideal = lines.interpolation_scores(truth)
    assert ideal["mean_distance"] < 2e-3 and ideal["smoothness"] < 0.02
    t = np.linspace(0, 1, 16)[None, :, None, None, None]
    fade = (1 - t) * truth[:, :1] + t * truth[:, -1:]  # the pixel cross-fade
    faded = lines.interpolation_scores(fade)
    assert faded["mean_distance"] > 10 * ideal["mean_distance"]
    assert faded["smoothness"] > 0.3  # the line jumps midway


def test_path_scores_give_each_path_its_own_numbers_and_average_to_the_scores():
    rng = np.random.default_rng(2)
    start, end = rng.uniform(0, 2 * math.pi, (2, 12))
    truth = lines.true_interpolation(start, end)
    t = np.linspace(0, 1, 16)[None, :, None, None, None]
    fade = (1 - t) * truth[:, :1] + t * truth[:, -1:]
    mixed = np.concatenate([truth[:6], fade[6:]])  # six true paths, six fades
    per_path = lines.path_scores(mixed)
    assert per_path["mean_distance"].shape == per_path["smoothness"].shape == (12,)
    assert per_path["mean_distance"][:6].max() < per_path["mean_distance"][6:].min()
    means = lines.interpolation_scores(mixed)
    assert means["mean_distance"] == pytest.approx(per_path["mean_distance"].mean())
    assert means["smoothness"] == pytest.approx(np.nanmean(per_path["smoothness"]))
