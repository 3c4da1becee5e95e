"""Error bars: the mean ± standard error, bootstrap, and when a difference counts."""

import doctest
import math
import re

import numpy as np
import pytest

from gdl_vae.measure import stats


def test_over_seeds_is_the_mean_and_the_standard_error():
    estimate = stats.over_seeds([1.0, 2.0, 3.0, 6.0])
    assert estimate.mean == 3.0 and estimate.n == 4
    assert estimate.se == pytest.approx(math.sqrt(14 / 3) / 2)
    assert f"{estimate:.2f}" == "3.00 ± 1.08"


def test_a_difference_is_resolved_only_beyond_two_standard_errors():
    a = stats.Estimate(1.0, 0.1, 3)
    close = stats.Estimate(0.75, 0.1, 3)  # 0.25 apart, se 0.141: 1.8 se
    far = stats.Estimate(0.6, 0.1, 3)  # 0.4 apart: 2.8 se
    assert (a - close).se == pytest.approx(math.sqrt(0.02))
    assert not (a - close).resolved and (a - far).resolved
    assert stats.compare(a, far, "precision") == (
        "precision higher by 0.40 ± 0.14 (resolved)"
    )
    assert stats.compare(close, a) == (
        "difference -0.25 ± 0.14: not resolved at this budget (under 2 standard errors)"
    )
    assert (
        stats.compare(far, a, "FD", "nats") == "FD lower by 0.40 ± 0.14 nats (resolved)"
    )


def test_the_bootstrap_error_of_a_mean_is_the_textbook_one():
    values = np.random.default_rng(0).normal(5.0, 2.0, 400)
    estimate = stats.bootstrap(values, n_resamples=2000)
    assert estimate.mean == pytest.approx(values.mean())
    textbook = values.std(ddof=1) / math.sqrt(len(values))
    assert estimate.se == pytest.approx(textbook, rel=0.1)
    median = stats.bootstrap(values, np.median, seed=1)
    assert median.mean == pytest.approx(np.median(values)) and median.se > 0
    rows = np.stack([values, 2 * values], axis=1)  # one row per item
    columns = stats.bootstrap(rows, lambda r: float(r[:, 1].mean() - r[:, 0].mean()))
    assert columns.mean == pytest.approx(values.mean())
    assert columns.se == pytest.approx(estimate.se, rel=0.2)


def test_pairing_resolves_a_difference_the_items_spread_would_hide():
    rng = np.random.default_rng(0)
    hardness = rng.normal(90.0, 10.0, 500)  # each image's own difficulty, shared
    a = hardness + rng.normal(0.0, 0.5, 500)
    b = hardness - 0.3 + rng.normal(0.0, 0.5, 500)  # better by 0.3 on every image
    unpaired = stats.compare(stats.bootstrap(a), stats.bootstrap(b, seed=1))
    assert "not resolved" in unpaired
    line = stats.paired(a, b, "NLL", "nats")
    assert re.fullmatch(r"NLL higher by 0\.2\d+ ± 0\.03\d nats \(resolved\)", line)
    assert "not resolved" in stats.paired(a, a + rng.normal(0.0, 0.5, 500))
    with pytest.raises(ValueError, match="one value per item"):
        stats.paired(a, b[:10])


@pytest.mark.parametrize("values", [[1.0], [1.0, float("nan")], []])
def test_too_few_or_unfinite_values_are_refused_with_the_fix(values):
    with pytest.raises(ValueError, match=r"at least 2 finite values.*more seeds"):
        stats.over_seeds(values)


def test_the_modules_example_prints_what_it_says():
    failures, tried = doctest.testmod(stats)
    assert tried > 0 and failures == 0
