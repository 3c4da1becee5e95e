"""Latent-space tools: grids, paths, nearest distances, empty space, continuity."""

import math

import numpy as np
import pytest

from gdl_vae.measure import latent, neighbours


def test_latent_grid_sits_at_normal_quantiles():
    grid = latent.latent_grid(4)
    assert grid.shape == (16, 2)
    # Phi^-1(0.125), Phi^-1(0.375): from the standard Normal table.
    expected = np.array([-1.150349, -0.318639, 0.318639, 1.150349])
    np.testing.assert_allclose(grid[:4, 0], expected, atol=1e-5)
    # Rows read top to bottom: z[1] decreases, constant along a row.
    np.testing.assert_allclose(grid[::4, 1], expected[::-1], atol=1e-5)
    assert np.all(grid[:4, 1] == grid[0, 1])
    assert np.all(np.isfinite(latent.latent_grid(50)))


def test_latent_grid_over_a_box_is_evenly_spaced():
    grid = latent.latent_grid(3, low=[-2, 0], high=[2, 10])
    np.testing.assert_allclose(grid[:3, 0], [-2, 0, 2])
    np.testing.assert_allclose(grid[::3, 1], [10, 5, 0])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n": 1},
        {"n": 2.5},
        {"n": 3, "low": [0, 0]},
        {"n": 3, "low": [1, 1], "high": [0, 2]},
    ],
)
def test_latent_grid_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        latent.latent_grid(**kwargs)


def test_linear_interpolation():
    path = latent.interpolate(np.array([0.0, 0.0]), np.array([4.0, 2.0]), frames=5)
    np.testing.assert_allclose(path, [[0, 0], [1, 0.5], [2, 1], [3, 1.5], [4, 2]])


def test_spherical_interpolation_follows_the_arc_and_scales_the_norm():
    a, b = np.array([3.0, 0.0]), np.array([0.0, 1.0])
    path = latent.interpolate(a, b, frames=3, method="spherical")
    np.testing.assert_allclose(path[0], a, atol=1e-6)
    np.testing.assert_allclose(path[-1], b, atol=1e-6)
    # Halfway: at 45 degrees, with the mean of the two norms.
    np.testing.assert_allclose(
        path[1], 2.0 * np.array([1, 1]) / math.sqrt(2), atol=1e-6
    )


def test_spherical_interpolation_of_parallel_vectors_stays_on_the_line():
    a, b = np.array([1.0, 1.0]), np.array([3.0, 3.0])
    path = latent.interpolate(a, b, frames=3, method="spherical")
    np.testing.assert_allclose(path, [[1, 1], [2, 2], [3, 3]], atol=1e-6)


def test_interpolation_of_batches():
    rng = np.random.default_rng(0)
    start, end = rng.normal(size=(7, 5)), rng.normal(size=(7, 5))
    for method in latent.METHODS:
        path = latent.interpolate(start, end, frames=4, method=method)
        assert path.shape == (7, 4, 5)
        np.testing.assert_allclose(path[:, 0], start, atol=1e-5)
        np.testing.assert_allclose(path[:, -1], end, atol=1e-5)


@pytest.mark.parametrize(
    "args",
    [
        (np.zeros(2), np.zeros(3), 5, "linear"),
        (np.zeros(2), np.zeros(2), 1, "linear"),
        (np.zeros(2), np.zeros(2), 5, "cubic"),
    ],
)
def test_interpolation_rejects_bad_arguments(args):
    with pytest.raises(ValueError):
        latent.interpolate(*args)


def test_nearest_distances_match_brute_force():
    rng = np.random.default_rng(1)
    points, reference = rng.normal(size=(2100, 3)), rng.normal(size=(300, 3))
    brute = np.linalg.norm(points[:, None] - reference[None], axis=-1).min(axis=1)
    np.testing.assert_allclose(neighbours.nearest_distances(points, reference), brute)
    own = neighbours.nearest_distances(reference, reference, exclude_self=True)
    pairwise = np.linalg.norm(reference[:, None] - reference[None], axis=-1)
    np.fill_diagonal(pairwise, np.inf)
    np.testing.assert_allclose(own, pairwise.min(axis=1), atol=1e-6)


def test_in_empty_space_separates_covered_from_empty_space():
    rng = np.random.default_rng(2)
    codes = rng.uniform(0, 1, size=(2000, 2))
    inside = rng.uniform(0.1, 0.9, size=(500, 2))
    outside = rng.uniform(5, 6, size=(500, 2))
    assert latent.in_empty_space(codes, inside).mean() < 0.02
    assert latent.in_empty_space(codes, outside).all()
    # Scale-free: stretching everything changes nothing.
    both = np.concatenate([inside, outside])
    flags = latent.in_empty_space(codes, both)
    assert flags.shape == (1000,) and flags.dtype == bool
    np.testing.assert_array_equal(latent.in_empty_space(codes * 40, both * 40), flags)
    with pytest.raises(ValueError, match="quantile"):
        latent.in_empty_space(codes, both, quantile=1.0)


def test_matched_gaussian_has_the_codes_moments():
    rng = np.random.default_rng(3)
    codes = rng.normal([5.0, -2.0], [3.0, 0.5], size=(5000, 2))
    points = latent.matched_gaussian(codes, 20000, seed=0)
    np.testing.assert_allclose(points.mean(axis=0), [5, -2], atol=0.1)
    np.testing.assert_allclose(points.std(axis=0), [3, 0.5], rtol=0.05)


def test_class_means():
    codes = np.array([[0.0, 0], [2, 2], [10, 10], [4, 0]])
    labels = np.array([0, 0, 1, 2])
    np.testing.assert_allclose(
        latent.class_means(codes, labels), [[1, 1], [10, 10], [4, 0]]
    )
    with pytest.raises(ValueError, match="no codes for classes"):
        latent.class_means(codes, np.array([0, 0, 2, 2]))


def test_active_units_count_dimensions_whose_means_vary():
    rng = np.random.default_rng(0)
    codes = np.concatenate(
        [rng.normal(size=(500, 3)), 0.01 * rng.normal(size=(500, 2))], axis=1
    )
    assert latent.active_units(codes) == 3
    assert latent.active_units(codes, threshold=1e-6) == 5
    with pytest.raises(ValueError, match="codes must be"):
        latent.active_units(codes[0])


def test_prior_holes_are_none_where_the_posteriors_cover_the_prior():
    rng = np.random.default_rng(0)
    d = 4
    prior_itself = latent.prior_holes(np.zeros((500, d)), np.ones((500, d)), seed=1)
    assert prior_itself == 0.0
    # Codes drawn from the prior, each a little blurred: q(z) is N(0, 1.09 I).
    covering = latent.prior_holes(
        rng.standard_normal((5000, d)), np.full((5000, d), 0.3), seed=1
    )
    assert covering < 0.05
    # The same codes as near-points: the prior's mass falls between them.
    points = latent.prior_holes(
        rng.standard_normal((5000, d)), np.full((5000, d), 0.01), seed=1
    )
    assert points > 0.9
    # Codes far from the origin leave the prior's centre empty.
    away = latent.prior_holes(
        rng.standard_normal((5000, d)) + 4.0, np.full((5000, d), 0.5), seed=1
    )
    assert away > 0.9
    with pytest.raises(ValueError, match="stds > 0"):
        latent.prior_holes(np.zeros((3, 2)), np.zeros((3, 2)))
