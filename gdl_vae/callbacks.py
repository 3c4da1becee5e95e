"""Callbacks for training: a stop on NaN, the epoch clock (with its progress
log and a wall-clock budget), KL warm-up, a learning rate that decays with
the clock, and the held-out minus training gap as training goes on. Keeping
the best epoch is Keras' EarlyStopping(restore_best_weights=True)."""

from __future__ import annotations

import math
import time

import keras
import numpy as np


class StopOnNaN(keras.callbacks.Callback):
    """Stop training with an explanation as soon as the loss is NaN or infinite.

    Keras' TerminateOnNaN stops too, with a log line; this one raises, naming
    the epoch and the batches and the usual causes, so that `gdl-vae train`
    ends in one line that says what to do and keeps the last good checkpoint.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        self.first_batch = batch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(float(np.asarray(loss))):
            self.model.stop_training = True
            # With steps_per_execution > 1, Keras reports once per run of steps.
            first = getattr(self, "first_batch", batch)
            last = min(batch, (self.params.get("steps") or batch + 1) - 1)
            where = (
                f"batch {last + 1}"
                if first >= last
                else f"batches {first + 1}-{last + 1} (compile with "
                "steps_per_execution=1 to see which)"
            )
            raise FloatingPointError(
                f"the training loss became {float(np.asarray(loss))} in epoch "
                f"{getattr(self, 'epoch', 0) + 1}, {where}; training stopped. "
                "Usual causes: a learning rate too high (try 1e-4), NaN or inf in "
                "the data (check_images finds them), or float16 overflow (try the "
                "float32 policy)."
            )


class EpochClock(keras.callbacks.Callback):
    """Wall time per epoch and images seen; stops training when a budget is spent.

    seconds_per_epoch is the median after the first (tracing) epoch. Images are
    counted only when n_images and batch_size are given: Keras calls
    on_train_batch_end once per steps_per_execution steps, with the index of
    the last step, so images seen are counted from that index.
    """

    def __init__(
        self,
        n_images: int | None = None,
        batch_size: int | None = None,
        budget_s: float | None = None,
    ):
        super().__init__()
        self.n_images, self.batch_size, self.budget_s = n_images, batch_size, budget_s
        self.epoch_times: list[float] = []
        self.images = 0
        self.seconds = 0.0

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.epoch_times = []
        self.images = 0
        self.epoch_images = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.perf_counter()
        self.epoch_images = 0

    def on_train_batch_end(self, batch, logs=None):
        if self.n_images and self.batch_size:
            self.epoch_images = min(self.n_images, (batch + 1) * self.batch_size)
        if self.budget_s and time.perf_counter() - self.start >= self.budget_s:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.images += self.epoch_images
        self.epoch_images = 0
        self.epoch_times.append(time.perf_counter() - self.epoch_start)

    def on_train_end(self, logs=None):
        self.images += self.epoch_images  # a partial epoch stopped by the budget
        self.seconds = time.perf_counter() - self.start

    @property
    def seconds_per_epoch(self) -> float:
        """Median seconds per epoch, the first (tracing) one left out if possible."""
        steady = self.epoch_times[1:] or self.epoch_times
        return float(np.median(steady)) if steady else math.nan


class ProgressLog(EpochClock):
    """One line every `every` epochs (and the last): the losses and time per epoch.

    A quiet alternative to Keras' per-batch progress bar, for notebooks and logs.
    """

    def __init__(self, every: int = 5, **clock):
        super().__init__(**clock)
        if every < 1:
            raise ValueError(f"every must be at least 1; got {every}.")
        self.every = every

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        last = epoch + 1 == self.params.get("epochs")
        if (epoch + 1) % self.every and not last:
            return
        per_epoch = float(np.mean(self.epoch_times))  # the clock's, tracing included
        terms = ", ".join(f"{k} {float(v):.2f}" for k, v in (logs or {}).items())
        print(
            f"epoch {epoch + 1}/{self.params.get('epochs')}: {terms} "
            f"({per_epoch:.1f} s/epoch)"
        )


class KLWarmup(keras.callbacks.Callback):
    """Raise a VAE's beta linearly from 0 to `target` over the first `epochs`,
    a little at every training step.

    KL warm-up (Bowman et al. 2016; Sonderby et al. 2016): early in training
    the KL term can shut latent units before the decoder has learned to use
    them; starting from beta = 0 lets the codes carry information first.
    `epochs` may be a fraction (a warm-up over a third of 4 epochs is 4/3).
    beta is a variable, so changing it does not retrace the training step.
    """

    def __init__(self, epochs: float, target: float = 1.0):
        super().__init__()
        if not epochs > 0:
            raise ValueError(f"epochs must be above 0; got {epochs}.")
        if not target >= 0:
            raise ValueError(f"target must be >= 0; got {target}.")
        self.epochs, self.target = epochs, target
        self._epoch, self._steps = 0, None

    def beta_at(self, epoch: float) -> float:
        """The beta after `epoch` epochs of training (a fraction mid-epoch)."""
        return self.target * min(1.0, epoch / self.epochs)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._steps = self.params.get("steps") if self.params else None

    def on_train_batch_begin(self, batch, logs=None):
        # Keras calls this once per execution of steps_per_execution steps,
        # with the execution's first step: beta then rises in those strides.
        progress = self._epoch + (batch / self._steps if self._steps else 0.0)
        self.model.beta.assign(self.beta_at(progress))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["beta"] = float(self.model.beta.numpy())


class GapTracker(keras.callbacks.Callback):
    """Overfitting as it happens: held-out minus training loss every `every` epochs.

    seen and held_out are fixed images (already binarized) from the training
    and the test set, as many of each. `curve` collects one dict per check:
    epoch, the reconstruction term on both sets and its gap
    (`reconstruction_gap`), and for a model with a bound the negative ELBO
    with the whole KL (`neg_elbo`, `gap`), whatever part of the KL it trains on.
    """

    def __init__(self, seen: np.ndarray, held_out: np.ndarray, every: int = 1):
        super().__init__()
        if len(seen) != len(held_out) or every < 1:
            raise ValueError(
                f"GapTracker needs as many training as held-out images and "
                f"every >= 1; got {len(seen)}, {len(held_out)} and every={every}."
            )
        self.seen, self.held_out, self.every = seen, held_out, every
        self.curve: list[dict] = []

    def _terms(self, x: np.ndarray) -> tuple[float, float | None]:
        from gdl_vae.measure.bounds import kl_parts  # TensorFlow: on first use

        terms = self.model.evaluate(x, batch_size=500, verbose=0, return_dict=True)
        reconstruction = float(terms["reconstruction_loss"])
        if not getattr(self.model, "has_bound", False):
            return reconstruction, None
        kl = kl_parts(self.model, x)
        return reconstruction, reconstruction + sum(kl.values())

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        (rec_seen, bound_seen), (rec_held, bound_held) = map(
            self._terms, (self.seen, self.held_out)
        )
        point = {
            "epoch": epoch + 1,
            "reconstruction": rec_held,
            "reconstruction_gap": rec_held - rec_seen,
        }
        if bound_seen is not None:
            point |= {"neg_elbo": bound_held, "gap": bound_held - bound_seen}
        self.curve.append(point)


class TimeDecay(keras.callbacks.Callback):
    """Decay the learning rate exponentially with wall time, to `final` times its
    start value when `budget_s` seconds are spent.

    A step-count schedule needs the number of steps in advance; a training
    budget in seconds does not know it. This schedule follows the clock instead,
    set at the start of every epoch (the optimizer's learning rate is a
    variable, so nothing retraces).
    """

    def __init__(self, budget_s: float, final: float = 0.1):
        super().__init__()
        if not budget_s > 0:
            raise ValueError(f"budget_s must be > 0; got {budget_s}.")
        if not 0 < final <= 1:
            raise ValueError(f"final must be in (0, 1]; got {final}.")
        self.budget_s, self.final = budget_s, final

    def factor_at(self, seconds: float) -> float:
        """The learning rate's multiplier after `seconds` of training."""
        return self.final ** min(1.0, max(0.0, seconds / self.budget_s))

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.initial = float(
            keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        )

    def on_epoch_begin(self, epoch, logs=None):
        factor = self.factor_at(time.perf_counter() - self.start)
        self.model.optimizer.learning_rate.assign(self.initial * factor)

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(
                keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
            )
