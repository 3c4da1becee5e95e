"""The notebooks' coding exercises: every revealed solution passes its check,
the empty exercise cell does not, and common mistakes are caught."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from gdl_vae import exercises

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("0[123]_*.ipynb"))
CHECK = re.compile(r'exercises\.check\(\s*"([\w.]+)",\s*(\w+)\s*\)')
SOLUTION = re.compile(r"<details>.*?```python\n(.*?)```.*?</details>", re.DOTALL)


def _cells(path: Path, kind: str) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == kind]


def _exercise_cells() -> dict[str, tuple[str, str, str]]:
    """{name: (function name, the exercise cell, the solution that follows it)}."""
    found = {}
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            source = "".join(cell["source"])
            match = CHECK.search(source) if cell["cell_type"] == "code" else None
            if not match:
                continue
            after = "".join(cells[i + 1]["source"]) if i + 1 < len(cells) else ""
            solution = SOLUTION.search(after)
            assert solution, f"{path.name}: no revealable solution after {match[1]}"
            assert match[1] not in found, f"exercise {match[1]} appears twice"
            found[match[1]] = (match[2], source, solution[1])
    return found


FOUND = _exercise_cells()
NAMESPACE = {"np": np, "tf": tf, "tfp": tfp, "tfd": tfp.distributions}


def _define(code: str, function: str):
    namespace = dict(NAMESPACE)
    exec(CHECK.sub("", code), namespace)  # the definitions, without the check call
    return namespace[function]


def test_every_exercise_is_in_a_notebook():
    assert sorted(FOUND) == sorted(exercises.EXERCISES)
    for notebook in ("01", "02", "03"):
        assert 2 <= sum(name.startswith(notebook) for name in FOUND) <= 3


@pytest.mark.parametrize("name", sorted(exercises.EXERCISES))
def test_the_solution_passes_and_the_empty_cell_does_not(name, capsys):
    function, cell, solution = FOUND[name]
    correct, message = exercises.verdict(name, _define(solution, function))
    assert correct, message
    exercises.check(name, _define(cell, function))
    assert "not attempted yet" in capsys.readouterr().out


# The mistakes a learner is likely to make, one per exercise: each must fail.
MISTAKES = {
    "01.reconstruction_loss": lambda x, logits: np.sum(
        (x - 1 / (1 + np.exp(-logits))) ** 2, axis=(1, 2, 3)
    ),  # squared error, not the Bernoulli log-likelihood
    "01.fitted_gaussian": lambda codes, n, seed: np.random.default_rng(seed).normal(
        codes.mean(0), codes.std(0), (n, codes.shape[1])
    ),  # the variances without the correlations
    "01.frechet_distance": lambda real, fake: float(
        np.sum((real.mean(0) - fake.mean(0)) ** 2)
    ),  # the means only
    "02.reparameterize": lambda mean, log_var, eps: mean + np.exp(log_var) * eps,
    "02.kl_to_prior": lambda mean, log_var: (
        0.5 * np.sum(mean**2 + np.exp(log_var) - log_var, axis=1)
    ),  # the -1 forgotten
    "02.negative_elbo": lambda x, logits, mean, log_var: (
        -np.sum(x * logits - np.logaddexp(0, logits), axis=(1, 2, 3))
    ),  # the KL forgotten
    "03.slerp": lambda a, b, t: (1 - t) * a + t * b,  # linear, not spherical
    "03.move_to_class": lambda codes, labels, source, a, b: (
        source + codes[labels == b].mean(0)
    ),  # the source class's mean not taken away
    "03.precision": lambda real, fake, k: 0.5,
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_common_mistake_fails(name):
    correct, message = exercises.verdict(name, MISTAKES[name])
    assert not correct and "not yet" in message, message


def test_a_slerp_that_divides_by_sin_theta_fails_on_parallel_codes():
    def naive(a, b, t):
        norm_a, norm_b = np.linalg.norm(a), np.linalg.norm(b)
        angle = np.arccos(np.clip(a @ b / (norm_a * norm_b), -1.0, 1.0))
        turn = np.sin((1 - t) * angle) * a / norm_a + np.sin(t * angle) * b / norm_b
        return turn / np.sin(angle) * ((1 - t) * norm_a + t * norm_b)

    correct, message = exercises.verdict("03.slerp", naive)
    assert not correct and "dividing by sin(angle) divides by 0" in message, message


def test_an_error_in_the_answer_is_reported_not_raised():
    correct, message = exercises.verdict("02.kl_to_prior", lambda m, v: 1 / 0)
    assert not correct and "ZeroDivisionError" in message
    with pytest.raises(ValueError, match="no exercise"):
        exercises.check("02.nothing", print)
