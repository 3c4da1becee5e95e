"""Models side by side: metric bars, rate against distortion, bound gaps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from gdl_vae.plotting.figure import MAX_WIDTH, Figure


def metric_bars(
    rows: Sequence[Mapping],
    metrics: Mapping[str, str],
    label: str = "model",
    title: str | None = None,
) -> Figure:
    """One panel per metric (metrics maps row keys to panel titles), one
    horizontal bar per row, labelled by row[label] down the left; a row without
    the metric gets no bar. A value measured over seeds (a stats.Estimate)
    gets its error bar, ± one standard error, and a "mean ± se" label. Two or
    three panels to a row of the figure, so it fits a notebook's width however
    many rows and metrics there are."""
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
        values = [row.get(key) for row in rows]
        shown = [np.nan if v is None else float(getattr(v, "mean", v)) for v in values]
        errors = [getattr(v, "se", 0.0) for v in values]
        bars = ax.barh(
            range(len(rows)), shown, color="tab:blue",
            xerr=errors if any(errors) else None, ecolor="black", capsize=2,
        )  # fmt: skip
        labels = [
            "" if v is None else f"{v}" if hasattr(v, "se") else f"{v:.3g}"
            for v in values
        ]
        ax.bar_label(bars, labels=labels, fontsize=9, padding=2)
        ax.margins(x=0.45 if any(errors) else 0.25)  # room for the labels
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

    The ELBO's two terms against each other (Alemi et al. 2018). Dotted lines,
    each labelled, join points of equal negative ELBO, kl + rec = constant, so
    a point's bound is read off the line it sits on; lower-left is better.
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
    pad = 0.1 * span
    low, high = distortions.min() - pad, distortions.max() + pad
    for level in levels:
        ax.plot(x, level - x, ls=":", lw=1, color="grey")
        # Label each line where it enters the axes, through the top edge or
        # the left one: the upper left stays clear of the curve of models.
        start = max(x[0], level - high)
        if level - start < low:  # the line misses the axes
            continue
        ax.annotate(
            f"-ELBO {level:.0f}", (start, level - start), xytext=(3, -3),
            textcoords="offset points", fontsize=9, color="dimgrey", ha="left",
            va="top", bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 1},
        )  # fmt: skip
    ax.plot(rates, distortions, "o-", color="tab:blue")
    for label, rate, distortion in zip(points, rates, distortions, strict=True):
        ax.annotate(
            label, (rate, distortion), xytext=(5, 5), textcoords="offset points"
        )
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(low, high)
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
    left.axhline(0, color="grey", ls=":", lw=1, label="0: no gain over the ELBO")
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
