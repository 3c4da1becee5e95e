"""Progress on long work: one bar that fits where it is shown.

`bar(total, what, unit)` is a tqdm bar (`track(iterable, what)` loops with
one): a widget in a notebook with a widget front end (Jupyter, VS Code,
Colab); a text line updated in place in a terminal; and in a log or a
notebook run without a front end (CI, nbval, `benchmarks.run`), the same line
written at most once every LOG_INTERVAL seconds and when the work ends, so
that a log holds a few lines, not one per step. `KerasProgress` moves a bar
once per training step, so that several models trained one after another (a
sweep) share one bar.

Not keras.utils.Progbar (fit's verbose=1): it draws one bar per epoch and per
call, no widget, and where it cannot redraw (a log, nbval) it writes a line
per epoch at best; a sweep's or a bound's one bar with its ETA needs tqdm.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

import keras

if TYPE_CHECKING:
    from tqdm import tqdm

T = TypeVar("T")

LOG_INTERVAL = 30.0  # seconds between lines where the bar cannot redraw itself


def _in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (a notebook, run live or by nbval)."""
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    return hasattr(get_ipython(), "kernel")


def _terminal() -> bool:
    """Whether a text bar can redraw itself: stderr is a terminal, not CI."""
    return os.environ.get("CI") != "true" and sys.stderr.isatty()


class _Lines:
    """A log's stream for a bar: tqdm redraws with a carriage return, which a log
    or a pipe keeps as one ever longer line; here each state is a line."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> None:
        text = text.replace("\r", "").rstrip()
        if text:
            self.stream.write(text + "\n")

    def flush(self) -> None:
        self.stream.flush()


def bar(total: int | None, what: str, unit: str = "it", disable: bool = False) -> tqdm:
    """A progress bar for `total` steps of `what` (a tqdm object: call update(n),
    set_postfix_str(text), close(); or use it as a context manager)."""
    from gdl_vae.plotting.explorer import widget_frontend

    if widget_frontend():
        from tqdm.notebook import tqdm

        return tqdm(total=total, desc=what, unit=unit, disable=disable)
    from tqdm import tqdm

    in_kernel = _in_kernel()
    redraws = not in_kernel and _terminal()
    # In a notebook the text goes with the cell's printed output (stdout); in a
    # log or a pipe, each state of the bar on a line of its own.
    stream = sys.stdout if in_kernel else sys.stderr if redraws else _Lines(sys.stderr)
    return tqdm(
        total=total,
        desc=what,
        unit=unit,
        file=stream,
        disable=disable,
        mininterval=0.1 if redraws else LOG_INTERVAL,
        maxinterval=10.0 if redraws else LOG_INTERVAL,
        dynamic_ncols=redraws,
        ncols=None if redraws else 88,
        ascii=None if redraws else " #",
    )


def track(
    iterable: Iterable[T], what: str, total: int | None = None, unit: str = "it"
) -> Iterator[T]:
    """Iterate over `iterable` with a bar (tqdm's `for x in tqdm(...)`):
    `for seed in progress.track(SEEDS, "seeds"): ...`."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    with bar(total, what, unit=unit) as progress:
        for item in iterable:
            yield item
            progress.update(1)


class KerasProgress(keras.callbacks.Callback):
    """Move `progress` (a bar counting training steps) as the model trains;
    `label` names the model in the bar while it trains.

    Keras reports one batch end per execution: with steps_per_execution > 1,
    `batch` is the last step of the execution (which can pass the epoch's last
    step), so the bar moves by the steps since the last report, up to the
    epoch's end.
    """

    def __init__(self, progress: tqdm, label: str = ""):
        super().__init__()
        self.progress = progress
        self.label = label
        self._done = 0  # steps of this epoch already counted

    def on_train_begin(self, logs=None):
        if self.label:
            self.progress.set_postfix_str(self.label, refresh=False)

    def on_epoch_begin(self, epoch, logs=None):
        self._done = 0

    def on_train_batch_end(self, batch, logs=None):
        done = min(batch + 1, self.params.get("steps") or batch + 1)
        self.progress.update(done - self._done)
        self._done = done
