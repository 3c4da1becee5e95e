"""Checks for the notebooks' coding exercises: your code against the package's.

Each exercise in notebooks 01-08 asks for one piece: a network, a Keras layer or
model, a loss, a bound, a distance. `check(name, answer)` runs it on inputs of
its own, compares the result with what the package computes, and prints what
it found: correct, not yet answered, or what is wrong (a flipped sign, a
missing 1/2, no gradient path, an overflow). `verdict(name, answer)` returns
the same as (correct?, message); `require(name, answer)` raises AssertionError
with the message unless correct, for graders (`tools/editions.py`).

    from gdl_vae import exercises
    exercises.check("02.kl_to_prior", kl_to_prior)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gdl_vae.exercises import latent, losses, networks


@dataclass(frozen=True)
class Exercise:
    """One exercise: what to write, and how to compare it with the package."""

    task: str
    compare: Callable[[Callable], str | None]  # None when correct, else what differs


EXERCISES: dict[str, Exercise] = {
    "01.autoencoder": Exercise(
        "the encoder and the decoder, from Keras layers", networks.autoencoder
    ),
    "01.reconstruction_loss": Exercise(
        "-log p(x|z) per image, in nats, from the decoder's logits",
        losses.reconstruction_loss,
    ),
    "01.fitted_gaussian": Exercise(
        "n points from a Gaussian with the codes' mean and covariance",
        latent.fitted_gaussian,
    ),
    "01.frechet_distance": Exercise(
        "the Fréchet distance between two sets of features", latent.frechet_distance
    ),
    "02.sampling": Exercise(
        "a Keras layer: z = mean + sigma * eps, with a gradient path", networks.sampling
    ),
    "02.vae": Exercise(
        "a keras.Model subclass with train_step and test_step: reconstruction "
        "in nats + KL",
        networks.vae_model,
    ),
    "02.kl_to_prior": Exercise(
        "KL(q(z|x) || N(0, I)) in closed form, per image", losses.kl_to_prior
    ),
    "02.negative_elbo": Exercise(
        "the negative ELBO per image: reconstruction + KL", losses.negative_elbo
    ),
    "03.slerp": Exercise("spherical interpolation between two codes", latent.slerp),
    "03.move_to_class": Exercise(
        "latent arithmetic: move codes from one class's mean to another's",
        latent.move_to_class,
    ),
    "03.precision": Exercise(
        "improved precision: the share of samples inside the real manifold",
        latent.precision,
    ),
    "04.kl_terms": Exercise(
        "the KL's two terms: the mean term and the variance term", losses.kl_terms
    ),
    "04.kl_warmup": Exercise("beta at a step of a linear KL warm-up", losses.kl_warmup),
    "05.pca_reconstruction": Exercise(
        "images projected on the first k principal directions, and back",
        latent.pca_reconstruction,
    ),
    "06.acai_mix": Exercise(
        "ACAI's mixing of codes, alpha in [0, 0.5]", latent.acai_mix
    ),
    "06.critic_loss": Exercise("ACAI's critic loss", latent.critic_loss),
    "07.iwae_bound": Exercise(
        "the importance-weighted bound from log-weights, by log-sum-exp",
        losses.iwae_bound,
    ),
    "07.vamp_log_prob": Exercise(
        "log p(z) under a VampPrior-style mixture of Gaussians", losses.vamp_log_prob
    ),
    "08.gaussian_kl": Exercise(
        "KL between two diagonal Gaussians in closed form, per image",
        losses.gaussian_kl,
    ),
    "08.ancestral_sample": Exercise(
        "z = [z1, z2] drawn from p(z2) p(z1|z2), from the noise",
        latent.ancestral_sample,
    ),
}


def verdict(name: str, answer: Callable) -> tuple[bool, str]:
    """Run exercise `name` on your function `answer`: (correct?, what was found)."""
    if name not in EXERCISES:
        raise ValueError(f"no exercise {name!r}; there are {sorted(EXERCISES)}.")
    exercise = EXERCISES[name]
    try:
        problem = exercise.compare(answer)
    except NotImplementedError:
        return False, f"{name}: not yet answered. Write {exercise.task}."
    except Exception as error:  # the learner's code: show what broke, don't raise
        return False, f"{name}: your function raised {type(error).__name__}: {error}"
    if problem is None:
        return True, f"{name}: correct, it matches the package."
    return False, f"{name}: not yet. {problem}"


def check(name: str, answer: Callable) -> None:
    """Run exercise `name` on your function `answer` and print the verdict."""
    print(verdict(name, answer)[1])


def require(name: str, answer: Callable) -> None:
    """Raise AssertionError with the verdict unless `answer` is correct (graders)."""
    correct, message = verdict(name, answer)
    assert correct, message
