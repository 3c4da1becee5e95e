"""The notebooks' coding exercises: every hidden solution passes its check, every
unanswered stub says so, and common mistakes fail with a message that names them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from gdl_vae import exercises

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("0*_*.ipynb"))
CHECK = re.compile(r'exercises\.check\(\s*"([\w.]+)",\s*(\w+)\s*\)')


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def _output(cell: dict) -> str:
    return "".join("".join(o.get("text", "")) for o in cell.get("outputs", []))


def _exercise_cells() -> dict[str, tuple[str, dict, dict]]:
    """{name: (the answer's name, the exercise cell, the solution cell after it)}."""
    found = {}
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            match = CHECK.search(_source(cell)) if cell["cell_type"] == "code" else None
            if not match or "solution" in cell["metadata"].get("tags", []):
                continue
            solution = cells[i + 1]
            assert "solution" in solution["metadata"].get("tags", []), (
                f"{path.name}: no solution cell after {match[1]}"
            )
            assert match[1] not in found, f"exercise {match[1]} appears twice"
            found[match[1]] = (match[2], cell, solution)
    return found


FOUND = _exercise_cells()
NAMESPACE = {
    "np": np,
    "tf": tf,
    "tfp": tfp,
    "tfd": tfp.distributions,
    "keras": keras,
    "ops": keras.ops,
    "layers": keras.layers,
    "exercises": exercises,
}


def _define(code: str, name: str, namespace: dict | None = None):
    namespace = dict(namespace or NAMESPACE)
    exec(CHECK.sub("", code), namespace)  # the definitions, without the check call
    return namespace[name]


def _solution(name: str) -> tuple[str, str]:
    """(the answer's name, the solution's code), with what it needs defined first."""
    answer, _, solution = FOUND[name]
    return answer, _source(solution)


def _namespace(name: str) -> dict:
    """The names an exercise builds on: 02.vae uses the solution's MySampling."""
    namespace = dict(NAMESPACE)
    if name == "02.vae":
        answer, code = _solution("02.sampling")
        namespace[answer] = _define(code, answer)
    return namespace


def test_every_exercise_is_in_a_notebook_with_its_solution():
    assert sorted(FOUND) == sorted(exercises.EXERCISES)
    for path in NOTEBOOKS:
        assert 1 <= sum(name.startswith(path.name[:2]) for name in FOUND) <= 5


@pytest.mark.parametrize("name", sorted(exercises.EXERCISES))
def test_the_solution_passes_and_the_unanswered_cell_says_so(name, capsys):
    answer, cell, solution = FOUND[name]
    namespace = _namespace(name)
    correct, message = exercises.verdict(
        name, _define(_source(solution), answer, namespace)
    )
    assert correct, message
    exercises.check(name, _define(_source(cell), answer, namespace))
    assert f"{name}: not yet answered" in capsys.readouterr().out
    # The committed run shows both: the exercise unanswered, the solution correct.
    assert f"{name}: not yet answered" in _output(cell)
    assert f"{name}: correct" in _output(solution)
    # Hidden, in Jupyter, Colab and the website.
    assert solution["metadata"]["jupyter"]["source_hidden"] is True
    assert solution["metadata"]["cellView"] == "form"
    assert "hide-input" in solution["metadata"]["tags"]
    assert _source(solution).startswith("# @title Solution")


@pytest.mark.parametrize("name", sorted(exercises.EXERCISES))
def test_an_unanswered_exercise_raises_not_yet_answered_when_used(name):
    """Code that uses an unanswered stub (a grader, a later cell of the student
    edition) stops with the exercise's name, not somewhere else."""
    answer, cell, _ = FOUND[name]
    stub = _define(_source(cell), answer, _namespace(name))
    with pytest.raises(NotImplementedError, match=f"{name}: not yet answered"):
        exercises.EXERCISES[name].compare(stub)


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
    "08.gaussian_kl": lambda m, lv, pm, plv: (
        0.5
        * np.sum(np.exp(plv - lv) + (m - pm) ** 2 / np.exp(lv) - 1 - plv + lv, axis=1)
    ),  # KL(p || q): the Gaussians swapped
    "08.ancestral_sample": lambda eps2, eps1, z1_prior: np.concatenate(
        [eps2, z1_prior(eps2)[0] + np.exp(0.5 * z1_prior(eps2)[1]) * eps1], axis=1
    ),  # [z2, z1]: the layers in the wrong order
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_common_mistake_fails(name):
    correct, message = exercises.verdict(name, MISTAKES[name])
    assert not correct and "not yet" in message, message


# The same mistakes made in the notebook's own solution: (exercise, the text in
# the solution, what a learner writes instead, what the message must name).
EDITS = [
    (
        "01.autoencoder",
        "layers.Dense(latent_dim),",
        'layers.Dense(latent_dim, activation="relu"),',
        "has an activation",
    ),
    (
        "01.autoencoder",
        '2, padding="same"),  # logits',
        '2, padding="same", activation="sigmoid"),',
        "ends in a sigmoid",
    ),
    ("02.sampling", "ops.exp(0.5 * log_var)", "ops.exp(log_var)", "the missing 1/2"),
    (
        "02.sampling",
        "return mean + ops.exp(0.5 * log_var) * eps",
        "return ops.stop_gradient(mean + ops.exp(0.5 * log_var) * eps)",
        "no gradient path",
    ),
    ("02.sampling", "ops.shape(mean)", "(1, 2)", "the same eps"),
    ("02.vae", "kl = -0.5 * ops.sum(", "kl = 0.5 * ops.sum(", "the sign is flipped"),
    ("02.vae", "kl = -0.5 * ops.sum(", "kl = -1.0 * ops.sum(", "the 1/2 is missing"),
    (
        "02.vae",
        "ops.sum(pixels, axis=(1, 2, 3))",
        "ops.mean(pixels, axis=(1, 2, 3))",
        "sum over the 784 pixels",
    ),
    (
        "02.vae",
        "z = self.sampling([z_mean, z_log_var])",
        "z = ops.stop_gradient(self.sampling([z_mean, z_log_var]))",
        "no gradient path",
    ),
    (
        "02.vae",
        "self.optimizer.apply_gradients(",
        "(lambda pairs: None)(",
        "left every weight as it was",
    ),
    (
        "02.vae",
        '"loss": reconstruction + kl,',
        '"loss": reconstruction - kl,',
        "not reconstruction + KL",
    ),
    ("04.kl_terms", "0.5 * np.sum(mean**2", "np.sum(mean**2", "the 1/2 is missing"),
    ("02.kl_to_prior", "return 0.5 * np.sum(", "return np.sum(", "the 1/2 is missing"),
    (
        "04.kl_warmup",
        "min(1.0, step / warmup_steps)",
        "step / warmup_steps",
        "above the target",
    ),
    (
        "05.pca_reconstruction",
        "mean = x.mean(axis=0)",
        "mean = 0 * x.mean(axis=0)",
        "not centred",
    ),
    ("06.acai_mix", "alpha = 0.5 - np.abs(u - 0.5)", "alpha = u", "[0, 0.5]"),
    ("06.critic_loss", " + np.mean(real_guess**2)", "", "real images"),
    (
        "07.iwae_bound",
        "return top[:, 0] + np.log(np.sum(np.exp(log_w - top), axis=1)) - np.log(k)",
        "return np.log(np.mean(np.exp(log_w), axis=1))",
        "log-sum-exp",
    ),
    (
        "07.vamp_log_prob",
        "return log_sum - np.log(len(means))",
        "return log_sum",
        "off by log K",
    ),
    ("08.gaussian_kl", "return 0.5 * np.sum(", "return np.sum(", "the 1/2 is missing"),
    (
        "08.ancestral_sample",
        "np.exp(0.5 * log_var) * eps1",
        "np.exp(log_var) * eps1",
        "the missing 1/2",
    ),
    (
        "08.ancestral_sample",
        "return np.concatenate([z1, z2], axis=1)",
        "return np.concatenate([z2, z1], axis=1)",
        "[z1, z2], z1 first",
    ),
]


@pytest.mark.parametrize(
    ("name", "right", "wrong", "named"), EDITS, ids=[f"{e[0]}:{e[3]}" for e in EDITS]
)
def test_a_mistake_in_the_solution_fails_with_a_message_that_names_it(
    name, right, wrong, named
):
    answer, code = _solution(name)
    assert right in code, f"the solution of {name} no longer holds {right!r}"
    mistaken = _define(code.replace(right, wrong), answer, _namespace(name))
    correct, message = exercises.verdict(name, mistaken)
    assert not correct and named in message, message


def test_notebook_02s_kl_to_the_standard_normal_is_named_in_exercise_08():
    def to_standard_normal(mean, log_var, prior_mean, prior_log_var):
        return 0.5 * np.sum(np.exp(log_var) + mean**2 - 1 - log_var, axis=1)

    correct, message = exercises.verdict("08.gaussian_kl", to_standard_normal)
    assert not correct and "the KL to N(0, I)" in message, message


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
