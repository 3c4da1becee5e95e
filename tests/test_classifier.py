"""The digit judge: its no-digit images, its training, and what it reports."""

import json

import numpy as np
import pytest

import gdl_vae
from gdl_vae.measure import classifier
from gdl_vae.measure.classifier import blurred, no_digit_images


def test_no_digit_images_are_blends_of_different_classes_and_blobs(mnist):
    x, y = mnist.x_train[:500], mnist.y_train[:500]
    images = no_digit_images(x, y, 41, seed=0)
    assert images.shape == (41, 28, 28, 1)
    assert images.dtype == np.float32
    assert 0 <= images.min() and images.max() <= 1
    # The blobs: about a fifth of the pixels inked.
    blobs = images[20:]
    assert 0.1 < np.mean(blobs > 0) < 0.3
    np.testing.assert_array_equal(no_digit_images(x, y, 41, seed=0), images)


def test_no_digit_images_need_two_classes(mnist):
    ones = mnist.x_train[mnist.y_train == 1][:10]
    with pytest.raises(ValueError, match="two classes"):
        no_digit_images(ones, np.ones(len(ones), int), 4)


def test_blurring_keeps_the_ink_and_spreads_it(mnist):
    x = mnist.x_train[:20]
    soft = blurred(x, 1.0)
    assert soft.shape == x.shape
    # Digits sit (almost) away from the border, so the total ink is kept.
    np.testing.assert_allclose(
        soft.sum(axis=(1, 2, 3)), x.sum(axis=(1, 2, 3)), rtol=0.01
    )
    assert np.mean(soft > 0.05) > np.mean(x > 0.05)


@pytest.fixture(scope="module")
def judge(mnist):
    return gdl_vae.train_digit_classifier(
        mnist.x_train[:4000], mnist.y_train[:4000], epochs=3, seed=0
    )


def test_the_judge_knows_digits_from_no_digits(judge, mnist):
    report = judge.report(mnist.x_test[:1000], mnist.y_test[:1000])
    assert report["accuracy"] > 0.9
    assert report["recognised"] > 0.5
    assert report["accuracy_recognised"] > 0.97
    assert report["no_digit_recognised"] < 0.1


def test_verdicts_and_probabilities(judge, mnist):
    x = np.concatenate([mnist.x_test[:5], np.zeros((1, 28, 28, 1), np.float32)])
    p = judge.probabilities(x)
    assert p.shape == (6, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-5)
    verdicts = judge.verdicts(x)
    for verdict, top, digit in zip(
        verdicts, p.max(axis=1), p.argmax(axis=1), strict=True
    ):
        label, shown = verdict.split()
        assert label == (str(digit) if top >= judge.threshold else "?")
        assert float(shown) == pytest.approx(top, abs=0.006)
    np.testing.assert_array_equal(judge.recognised(x), p.max(axis=1) >= 0.9)


def test_train_digit_classifier_checks_its_labels(mnist):
    with pytest.raises(ValueError, match=r"one label in 0\.\.9 per image"):
        gdl_vae.train_digit_classifier(mnist.x_train[:10], mnist.y_train[:9])
    with pytest.raises(ValueError, match="pixels in"):
        gdl_vae.train_digit_classifier(mnist.x_train[:10] * 255, mnist.y_train[:10])


def test_the_shipped_judge_loads_and_measures_what_its_record_says(mnist):
    record_path = classifier.WEIGHTS.with_name("digit_classifier.json")
    record = json.loads(record_path.read_text())
    assert record["train_images"] == 60_000 and record["test_images"] == 10_000
    judge = gdl_vae.load_digit_classifier()
    report = judge.report(mnist.x_test, mnist.y_test)
    assert report["accuracy"] >= 0.99  # a good small convnet's accuracy
    for key, value in record["test"].items():
        assert report[key] == pytest.approx(value, abs=2e-3), key
    features = judge.features(mnist.x_test[:5])
    assert features.shape == (5, 128) and np.all(features >= 0)  # after a ReLU
