"""Curves, histograms and heat maps: losses, histories, step profiles, unit activity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from gdl_vae.plotting.figure import Figure, finish, panel_grid


def step_profiles(steps: Mapping[str, np.ndarray], title: str | None = None) -> Figure:
    """Image change per step along interpolation paths, {model: (paths, steps)}.

    Left: the mean change at each step along the path. Right: the distribution
    of the largest step's share of each path's total change (1 / steps is a
    perfectly even path, 1 a single jump).
    """
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    bins = np.linspace(0, 1, 26)
    for label, values in steps.items():
        values = np.asarray(values)
        left.plot(np.arange(1, values.shape[1] + 1), values.mean(axis=0), label=label)
        share = values.max(axis=1) / np.maximum(values.sum(axis=1), 1e-12)
        right.hist(share, bins=bins, alpha=0.6, label=label)
    left.set_xlabel("step along the path")
    left.set_ylabel("RMS pixel change")
    left.set_title("mean change per step")
    even = 1 / values.shape[1]
    right.axvline(
        even, color="black", ls=":", lw=1, label=f"an even path (1/{values.shape[1]})"
    )
    right.set_xlabel("largest step / total change")
    right.set_ylabel("paths")
    right.set_title("how much of a path is one jump")
    left.legend()
    right.legend()
    if title:
        fig.suptitle(title)
    return fig


def heatmap(
    matrix: np.ndarray,
    title: str | None = None,
    xlabel: str = "",
    ylabel: str = "",
    fmt: str = "{:.0%}",
    row_labels: Sequence | None = None,
    column_labels: Sequence | None = None,
) -> Figure:
    """A matrix as coloured cells, each value written in. Rows and columns are
    labelled 0..n-1 unless row_labels / column_labels name them."""
    matrix = np.asarray(matrix)
    fig = Figure(figsize=(0.5 * matrix.shape[1] + 1.5, 0.5 * matrix.shape[0] + 0.8))
    ax = fig.subplots()
    ax.imshow(matrix, cmap="viridis", vmin=0, vmax=max(1.0, float(matrix.max())))
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(
            j, i, fmt.format(value), ha="center", va="center", fontsize=8,
            color="black" if value > 0.6 else "white",
        )  # fmt: skip
    for axis, count, names in (
        (ax.xaxis, matrix.shape[1], column_labels),
        (ax.yaxis, matrix.shape[0], row_labels),
    ):
        if names is not None and len(names) != count:
            raise ValueError(f"{len(names)} labels for {count} rows or columns.")
        axis.set_ticks(range(count), None if names is None else [str(n) for n in names])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def loss_curves(
    history: Mapping[str, Sequence[float]], title: str | None = None
) -> Figure:
    """One panel per loss term, training and held-out curves, per epoch."""
    first = ("loss", "reconstruction_loss")  # then the other terms, as given
    terms = sorted(
        (k for k in history if not k.startswith("val_")),
        key=lambda k: first.index(k) if k in first else len(first),
    )
    if "loss" in terms and any(
        list(history[k]) == list(history["loss"]) for k in terms if k != "loss"
    ):
        terms.remove("loss")  # an autoencoder's loss is its reconstruction term
    if not terms:
        raise ValueError("history holds no training terms; pass History.history.")
    fig, axes = panel_grid(len(terms), 3.3, 3.0)
    for ax, term in zip(axes, terms, strict=True):
        epochs = np.arange(1, len(history[term]) + 1)
        ax.plot(epochs, history[term], label="train")
        if f"val_{term}" in history:
            ax.plot(epochs, history[f"val_{term}"], label="held-out")
        # the likelihood terms are in nats; ACAI's critic scores are not
        nats = term in ("loss", "reconstruction_loss", "kl_loss")
        ax.set_title(f"{term} (nats)" if nats else term)
        ax.set_xlabel("epoch")
        ax.legend()
    return finish(fig, title)


def curves(
    x: Sequence[float] | Mapping[str, Sequence[float]],
    series: Mapping[str, Sequence[float]],
    xlabel: str = "",
    ylabel: str = "",
    title: str | None = None,
    logx: bool = False,
) -> Figure:
    """Lines y(x), one per series, on one panel, with markers at the data.

    x is shared, or a mapping {name: its x} for series measured at x values
    of their own. A series given as a 2-D array, one row per seed, is drawn as
    its mean over the seeds with a band of ± one standard error around it.
    """
    from gdl_vae.measure.stats import standard_error

    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    for name, y in series.items():
        y = np.asarray(y, float)
        x_of = np.asarray(x[name] if isinstance(x, Mapping) else x, float)
        if y.ndim == 2:
            mean, se = y.mean(axis=0), standard_error(y)
            (line,) = ax.plot(x_of, mean, marker="o", label=f"{name} (± se)")
            ax.fill_between(
                x_of, mean - se, mean + se, color=line.get_color(), alpha=0.2
            )
        else:
            ax.plot(x_of, y, marker="o", label=name)
    if logx:
        ax.set_xscale("log", base=2)
        if not isinstance(x, Mapping):
            ax.set_xticks(list(x), [str(v) for v in x])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def histograms(
    series: Mapping[str, Sequence[float]],
    marks: Mapping[str, float] | None = None,
    xlabel: str = "",
    title: str | None = None,
    log: bool = False,
    bins: int = 60,
) -> Figure:
    """Distributions on one panel, as outlined histograms of density (one per
    series, on shared bins), with a labelled dashed vertical line at each mark:
    where a spread of values lies against yardsticks. log: bins spaced
    evenly on a log axis (for standard deviations spanning decades)."""
    values = {name: np.asarray(v, float).ravel() for name, v in series.items()}
    if not values or any(v.size == 0 for v in values.values()):
        raise ValueError("histograms needs at least one non-empty series.")
    every = np.concatenate([*values.values(), list((marks or {}).values())])
    low, high = every.min(), every.max()
    if log:
        edges = np.geomspace(max(low, 1e-12), high, bins + 1)
    else:
        edges = np.linspace(low, high, bins + 1)
    fig = Figure(figsize=(6.5, 3.6), layout="constrained")
    ax = fig.subplots()
    for name, v in values.items():
        ax.hist(v, bins=edges, density=True, histtype="step", lw=1.8, label=name)
    top = ax.get_ylim()[1]
    for i, (label, x) in enumerate((marks or {}).items()):
        ax.axvline(x, color="black", ls="--", lw=1)
        ax.annotate(
            f" {label}", (x, top * (0.95 - 0.1 * i)), fontsize=9, va="top",
            ha="left" if x < np.sqrt(low * high) or not log else "right",
        )  # fmt: skip
    if log:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("density")
    ax.legend(fontsize=9, loc="upper left" if not log else "upper center")
    if title:
        ax.set_title(title)
    return fig


def history_comparison(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    terms: Sequence[str],
    title: str | None = None,
) -> Figure:
    """One panel per term, one curve per model: how training differed."""
    fig, axes = panel_grid(len(terms), 3.6, 3.0)
    for ax, term in zip(axes, terms, strict=True):
        for name, history in histories.items():
            if term in history:
                values = history[term]
                ax.plot(np.arange(1, len(values) + 1), values, label=name)
        ax.set_title(term)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=9)
    return finish(fig, title)


def unit_activity(
    codes: Mapping[str, np.ndarray], threshold: float = 0.01, title: str | None = None
) -> Figure:
    """How much each latent dimension is used, one line per model.

    codes maps a model's name to its posterior means E[z|x] on held-out images,
    (N, latent_dim). Each dimension's activity is the variance of its mean over
    the data (Burda et al. 2016), sorted from the most used; dimensions under
    threshold (dotted) are inactive: their posterior is the prior for every
    image.
    """
    if not codes:
        raise ValueError("unit_activity needs the codes of at least one model.")
    fig = Figure(figsize=(6.5, 3.6), layout="constrained")
    ax = fig.subplots()
    for name, c in codes.items():
        c = np.asarray(c, np.float64)
        if c.ndim != 2:
            raise ValueError(
                f"codes of {name!r} must be (N, latent_dim); got {c.shape}."
            )
        activity = np.sort(c.var(axis=0))[::-1]
        active = int(np.sum(activity > threshold))
        ax.plot(
            np.arange(1, len(activity) + 1),
            activity,
            marker="o",
            ms=3,
            label=f"{name} ({active} active)",
        )
    ax.axhline(
        threshold, color="grey", ls=":", lw=1, label=f"active above {threshold:g}"
    )
    ax.set_yscale("log")
    ax.set_xlabel("latent dimension, most used first")
    ax.set_ylabel("variance of E[z|x] over the data")
    ax.legend()
    if title:
        ax.set_title(title)
    return fig
