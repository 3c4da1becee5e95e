"""Curves, bars and heat maps: losses, step profiles, metrics side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from gdl_vae.plotting.figure import Figure, finish


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
    right.axvline(1 / values.shape[1], color="black", ls=":", lw=1)
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
            j, i, fmt.format(value), ha="center", va="center", fontsize=7,
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
    fig = Figure(figsize=(4 * len(terms), 3))
    axes = fig.subplots(1, len(terms), squeeze=False)[0]
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


MAX_WIDTH = 10.0  # inches: 1,000 pixels, the width of a notebook's output


def _panel_grid(n: int, width: float, height: float) -> tuple[Figure, list]:
    """n panels of width x height inches, wrapped into rows at MAX_WIDTH."""
    ncols = max(1, min(n, int(MAX_WIDTH // width)))
    nrows = -(-n // ncols)
    fig = Figure(figsize=(width * ncols, height * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_axis_off()
    return fig, list(axes[:n])


def metric_bars(
    rows: Sequence[Mapping],
    metrics: Mapping[str, str],
    label: str = "model",
    title: str | None = None,
) -> Figure:
    """One panel per metric (metrics maps row keys to panel titles), one
    horizontal bar per row, labelled by row[label] down the left; a row without
    the metric gets no bar. Two or three panels to a row of the figure, so it
    fits a notebook's width however many rows and metrics there are."""
    if not rows or not metrics:
        raise ValueError("metric_bars needs at least one row and one metric.")
    names = [str(row[label]) for row in rows]
    ncols = 2 if len(metrics) in (2, 4) else min(3, len(metrics))
    nrows = -(-len(metrics) // ncols)
    fig = Figure(
        figsize=(MAX_WIDTH, (0.26 * len(rows) + 0.9) * nrows), layout="constrained"
    )
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    for ax in axes.flat[len(metrics) :]:
        ax.set_axis_off()
    panels = zip(axes.flat, metrics.items(), strict=False)  # spare axes stay off
    for i, (ax, (key, panel)) in enumerate(panels):
        shown = [np.nan if row.get(key) is None else float(row[key]) for row in rows]
        bars = ax.barh(range(len(rows)), shown, color="tab:blue")
        ax.bar_label(bars, fmt="%.3g", fontsize=8, padding=2)
        ax.margins(x=0.25)  # room for the labels right of the longest bar
        ax.set_yticks(range(len(rows)), names, fontsize=9)
        ax.tick_params(labelleft=i % ncols == 0)
        ax.set_title(panel, fontsize=10)
    axes[0, 0].invert_yaxis()  # the first row on top (shared by every panel)
    if title:
        fig.suptitle(title)
    return fig


def rate_distortion(
    points: Mapping[str, tuple[float, float]], title: str | None = None
) -> Figure:
    """Models as points (KL, reconstruction term), both in nats: {label: (kl, rec)}.

    The ELBO's two terms against each other (Alemi et al. 2018). Dotted lines
    join points of equal negative ELBO, kl + rec = constant, so a point's
    bound is read off the line it sits on; lower-left is better.
    """
    if not points:
        raise ValueError("rate_distortion needs at least one point.")
    rates = np.array([v[0] for v in points.values()], float)
    distortions = np.array([v[1] for v in points.values()], float)
    fig = Figure(figsize=(6.5, 4.6), layout="constrained")
    ax = fig.subplots()
    totals = rates + distortions
    span = max(rates.max() - rates.min(), distortions.max() - distortions.min(), 1.0)
    levels = np.linspace(totals.min(), totals.max(), 5) if len(points) > 1 else totals
    x = np.linspace(rates.min() - 0.1 * span, rates.max() + 0.1 * span, 2)
    for level in levels:
        ax.plot(x, level - x, ls=":", lw=1, color="grey")
        ax.annotate(
            f"-ELBO {level:.0f}", (x[-1], level - x[-1]), fontsize=7, color="grey",
            ha="right", va="bottom",
        )  # fmt: skip
    ax.plot(rates, distortions, "o-", color="tab:blue")
    for label, rate, distortion in zip(points, rates, distortions, strict=True):
        ax.annotate(
            label, (rate, distortion), xytext=(5, 5), textcoords="offset points"
        )
    ax.set_xlim(x[0], x[-1])
    pad = 0.1 * span
    ax.set_ylim(distortions.min() - pad, distortions.max() + pad)
    ax.set_xlabel("rate: KL(q(z|x) || N(0, I)), nats")
    ax.set_ylabel("distortion: reconstruction term, nats")
    if title:
        ax.set_title(title)
    return fig


def bound_gaps(
    ks: Sequence[int],
    bounds: np.ndarray,
    elbo: np.ndarray,
    title: str | None = None,
) -> Figure:
    """How much the importance-weighted bound gains over the ELBO, per image.

    bounds: (N, len(ks)) bounds in nats, one column per k; elbo: (N,). Left:
    bound minus ELBO against k, a thin line per image (up to 40) and their
    mean. Right: the distribution of that gain at the largest k, which is at
    most KL(q(z|x) || p(z|x)), the gap between the ELBO and log p(x).
    """
    bounds, elbo = np.asarray(bounds, float), np.asarray(elbo, float)
    if bounds.shape != (len(elbo), len(ks)):
        raise ValueError(
            f"bounds must be (N, len(ks)) = ({len(elbo)}, {len(ks)}); got "
            f"{bounds.shape}."
        )
    gain = bounds - elbo[:, None]
    fig = Figure(figsize=(MAX_WIDTH, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    for row in gain[:40]:
        left.plot(ks, row, color="tab:blue", alpha=0.25, lw=0.8)
    left.plot(ks, gain.mean(axis=0), color="black", marker="o", lw=2, label="mean")
    left.axhline(0, color="grey", ls=":", lw=1)
    left.set_xscale("log")
    left.set_xlabel("k, importance samples")
    left.set_ylabel("bound minus ELBO (nats)")
    left.set_title("each line one held-out image")
    left.legend()
    right.hist(gain[:, -1], bins=30, color="tab:blue")
    right.set_xlabel(f"bound at k = {ks[-1]} minus ELBO (nats)")
    right.set_ylabel("images")
    right.set_title("how loose the ELBO is, image by image")
    if title:
        fig.suptitle(title)
    return fig


def curves(
    x: Sequence[float],
    series: Mapping[str, Sequence[float]],
    xlabel: str = "",
    ylabel: str = "",
    title: str | None = None,
    logx: bool = False,
) -> Figure:
    """Lines y(x), one per series, on one panel, with markers at the data."""
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    for name, y in series.items():
        ax.plot(x, y, marker="o", label=name)
    if logx:
        ax.set_xscale("log", base=2)
        ax.set_xticks(list(x), [str(v) for v in x])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def history_comparison(
    histories: Mapping[str, Mapping[str, Sequence[float]]],
    terms: Sequence[str],
    title: str | None = None,
) -> Figure:
    """One panel per term, one curve per model: how training differed."""
    fig, axes = _panel_grid(len(terms), 3.6, 3.0)
    for ax, term in zip(axes, terms, strict=True):
        for name, history in histories.items():
            if term in history:
                values = history[term]
                ax.plot(np.arange(1, len(values) + 1), values, label=name)
        ax.set_title(term)
        ax.set_xlabel("epoch")
        ax.legend(fontsize=8)
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
    ax.axhline(threshold, color="grey", ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("latent dimension, most used first")
    ax.set_ylabel("variance of E[z|x] over the data")
    ax.legend()
    if title:
        ax.set_title(title)
    return fig
