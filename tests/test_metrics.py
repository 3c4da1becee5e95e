"""Generation metrics on features: known answers on synthetic clouds."""

import numpy as np
import pytest

import gdl_vae
from gdl_vae.measure import metrics, neighbours


def cloud(n, mean, scale, seed, dim=8):
    rng = np.random.default_rng(seed)
    return mean + scale * rng.standard_normal((n, dim))


def test_frechet_distance_matches_the_closed_form_for_diagonal_gaussians():
    # Two Gaussians with diagonal covariances s1^2 I and s2^2 I, means m1 and m2:
    # FD = |m1 - m2|^2 + D (s1 - s2)^2.
    a = cloud(20_000, 0.0, 1.0, seed=0)
    b = cloud(20_000, 0.5, 2.0, seed=1)
    expected = 8 * 0.5**2 + 8 * (1.0 - 2.0) ** 2
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=0.03)
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    same = metrics.frechet_distance(a[:10_000], a[10_000:])
    assert same < 0.05 * expected  # two samples of one distribution: near 0


def test_frechet_distance_is_symmetric_and_sees_a_rotated_covariance():
    rng = np.random.default_rng(2)
    a = cloud(5_000, 0.0, 1.0, seed=3) * np.array([3.0, 1, 1, 1, 1, 1, 1, 1])
    rotation, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    b = cloud(5_000, 0.0, 1.0, seed=4) * np.array([3.0, 1, 1, 1, 1, 1, 1, 1])
    b = b @ rotation.T  # same spectrum, different axes
    forward, backward = metrics.frechet_distance(a, b), metrics.frechet_distance(b, a)
    assert forward == pytest.approx(backward, rel=1e-6)
    assert forward > 1.0  # equal traces, but the long axis points elsewhere


def test_precision_and_recall_separate_quality_from_diversity():
    real = cloud(2_000, 0.0, 1.0, seed=5)
    fresh = cloud(2_000, 0.0, 1.0, seed=6)  # the same distribution
    far = cloud(2_000, 10.0, 1.0, seed=7)  # nothing like the data
    collapsed = real[:2_000] * 0.1  # all near the centre: good but not diverse
    good = metrics.precision_recall(real, fresh)
    assert good["precision"] > 0.8 and good["recall"] > 0.8
    bad = metrics.precision_recall(real, far)
    assert bad == {"precision": 0.0, "recall": 0.0}
    mode = metrics.precision_recall(real, collapsed)
    assert mode["precision"] > 0.95 and mode["recall"] < 0.3


def test_knn_radii_skip_the_point_itself_and_chunking_changes_nothing(monkeypatch):
    x = np.array([[0.0], [1.0], [3.0], [7.0]])
    np.testing.assert_allclose(metrics.knn_radii(x, k=1), [1.0, 1.0, 2.0, 4.0])
    np.testing.assert_allclose(metrics.knn_radii(x, k=2), [3.0, 2.0, 3.0, 6.0])
    data = cloud(300, 0.0, 1.0, seed=8)
    whole = metrics.knn_radii(data, k=3)
    monkeypatch.setattr(neighbours, "CHUNK", 7)
    np.testing.assert_allclose(metrics.knn_radii(data, k=3), whole)


def test_class_shares_and_bad_inputs():
    np.testing.assert_allclose(
        metrics.class_shares(np.array([0, 0, 1, 9]), 10),
        [0.5, 0.25, 0, 0, 0, 0, 0, 0, 0, 0.25],
    )
    with pytest.raises(ValueError, match=r"0\.\.9"):
        metrics.class_shares(np.array([10]))
    with pytest.raises(ValueError, match="shape \\(N, D\\)"):
        metrics.frechet_distance(np.zeros(5), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="feature sizes differ"):
        metrics.precision_recall(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="k must be"):
        metrics.knn_radii(np.zeros((3, 2)), k=3)


@pytest.fixture(scope="module")
def reference(mnist):
    return metrics.Reference(gdl_vae.load_digit_classifier(), mnist.x_test[:2000])


def test_the_instruments_are_calibrated_on_real_and_spoilt_digits(reference, mnist):
    """Real digits score well; blur, noise, blends and one class alone do not,
    each in its own way (measured on 2,000 images: real digits precision 0.84,
    recall 0.87, FD 3.9; the rest in metrics.calibration_sets' order)."""
    assert len(reference.manifold) > 0.9 * len(reference)
    sets = metrics.calibration_sets(mnist.x_train, mnist.y_train, 2000, seed=0)
    real = reference.score(sets.pop("real digits"))
    assert real["precision"] > 0.75 and real["recall"] > 0.75
    ones = reference.score(sets.pop("1s only"))
    assert ones["precision"] > 0.75 and ones["recall"] < 0.2  # good, not diverse
    assert ones["class_shares"][1] > 0.95 and real["class_shares"].max() < 0.15
    blur = reference.score(sets.pop("blurred, 1 px"))  # worse, not yet useless
    assert blur["fd"] > 3 * real["fd"], blur  # measured: 16.3 against 3.9
    assert blur["precision"] < 0.7 and blur["recall"] < 0.3, blur  # 0.54, 0.14
    for name, images in sets.items():
        score = reference.score(images)
        assert score["fd"] > 10 * real["fd"], name
        assert score["precision"] < 0.2 and score["recall"] < 0.2, name


def test_score_speaks_of_images_not_features(reference, mnist):
    with pytest.raises(ValueError, match=r"samples holds 1 images; precision"):
        reference.score(mnist.x_test[:1])
    with pytest.raises(ValueError, match=r"samples holds no images"):
        reference.score(mnist.x_test[:0])
    with pytest.raises(ValueError, match=r"got a Python list of 5"):
        reference.score(list(mnist.x_test[:5]))
    with pytest.raises(ValueError, match=r"Fix: add a batch axis: samples\[None\]"):
        reference.score(mnist.x_test[0])
