"""Figures: each helper returns a Figure that notebooks display as a PNG."""

import numpy as np
import pytest

from gdl_vae import plotting
from gdl_vae.measure import latent

PNG = b"\x89PNG"


def shows_as_png(fig) -> bool:
    return isinstance(fig, plotting.Figure) and fig._repr_png_().startswith(PNG)


def helper_figures() -> list:
    """Every helper, with inputs as large as the notebooks give it."""
    rng = np.random.default_rng(0)
    images = rng.random((40, 28, 28, 1)).astype("float32")
    codes, labels = rng.normal(size=(50, 2)), rng.integers(0, 10, 50)
    grid = latent.latent_grid(20)
    four = {"a": images, "b": images[::-1], "c": images, "d": images[1:]}
    return [
        plotting.image_grid(images[:30], labels=list(range(30)), title="t"),
        plotting.reconstruction_grid(images[:12], images[12:24]),
        plotting.latent_scatter(codes, labels, points=codes[:3]),
        plotting.latent_scatter(
            {"a": codes, "b": codes * 2, "c": codes}, labels, title="three"
        ),
        plotting.posterior_ellipses(
            codes[:3], np.full((3, 2), 0.2), [1, 2, 3], codes, labels
        ),
        plotting.manifold(rng.random((400, 28, 28, 1)), grid),
        plotting.interpolation_strips(
            {"linear": images[:16], "spherical": images[16:32], "ACAI": images[:16]},
            title="t",
        ),
        plotting.step_profiles({"a": rng.random((6, 9)), "b": rng.random((6, 9))}),
        plotting.heatmap(rng.random((10, 10)), title="t", xlabel="b", ylabel="a"),
        plotting.loss_curves(
            {
                "loss": [3, 2],
                "reconstruction_loss": [2, 1],
                "kl_loss": [1, 1],
                "val_loss": [3, 2],
            }
        ),
        plotting.signed_image_grid(rng.normal(size=(10, 28, 28)), labels="abcdefghij"),
        plotting.metric_bars(
            [
                {"model": f"model {i}", "x": 1.0, "y": 2.0, "u": 3.0, "v": 4.0}
                for i in range(5)
            ]
            + [{"model": "b", "x": 3.0}],
            {"x": "x (nats)", "y": "y", "u": "u", "v": "v"},
        ),
        plotting.curves([2, 4, 8], {"pca": [3, 2, 1], "ae": [3, 2, 1.5]}, logx=True),
        plotting.curves(
            {"one": [5, 10, 60], "two": [5, 30]}, {"one": [86, 84, 83], "two": [85, 82]}
        ),
        plotting.history_comparison(
            {"a": {"loss": [3, 2], "beta": [0, 1]}, "b": {"loss": [2, 2]}},
            ["loss", "beta"],
        ),
        plotting.image_panels(four, columns=4),
        plotting.image_panels(four, columns=2, title="t"),
        plotting.image_panels(four | {"e": images, "f": images}, columns=6, grid=3),
        plotting.bound_gaps([1, 10, 100], rng.normal(size=(5, 3)), rng.normal(size=5)),
        plotting.posterior_panels(
            {
                name: (codes * (i + 1), np.full((50, 2), 0.3))
                for i, name in enumerate(["AE", "VAE", "beta 4", "beta 0.5"])
            },
            labels,
        ),
        plotting.rate_distortion({"β=0.5": (30.0, 80.0), "β=1": (20.0, 86.0)}),
        plotting.histograms(
            {"sigma": rng.random(100) * 0.1 + 0.01}, {"prior": 1.0}, log=True
        ),
        plotting.histograms({"a": rng.normal(size=50), "b": rng.normal(size=60)}),
        plotting.unit_activity({"a": codes, "b": codes * 0.01}),
    ]


def test_every_helper_draws_a_png():
    assert all(shows_as_png(fig) for fig in helper_figures())


def test_every_helpers_text_is_readable_at_the_pages_width():
    small = {
        fig.get_suptitle() or fig.axes[0].get_title() or str(i): round(size, 1)
        for i, fig in enumerate(helper_figures())
        if (size := plotting.figure.text_pixels(fig)) < plotting.figure.SMALLEST_TEXT
    }
    assert not small, f"text under {plotting.figure.SMALLEST_TEXT} px: {small}"


def test_text_pixels_shrink_with_a_figure_wider_than_the_page():
    narrow = plotting.curves([1, 2], {"a": [1, 2]})
    wide = plotting.curves([1, 2], {"a": [1, 2]})
    wide.set_size_inches(16, 3.5)
    assert plotting.figure.text_pixels(narrow) == pytest.approx(10 * 100 / 72, 0.01)
    assert plotting.figure.text_pixels(wide) < plotting.figure.text_pixels(narrow) / 1.5
    off = plotting.image_grid(np.zeros((2, 28, 28)), labels=["a", "b"])
    for ax in off.axes:
        ax.tick_params(labelsize=4)  # axes turned off: their ticks are never drawn
    assert plotting.figure.text_pixels(off) == pytest.approx(10 * 100 / 72, 0.01)
    off.axes[0].set_title("a", fontsize=6)
    assert plotting.figure.text_pixels(off) == pytest.approx(6 * 100 / 72, 0.01)


def test_signed_images_put_zero_at_the_middle_of_the_colour_map():
    weights = np.zeros((2, 4, 4))
    weights[0, 0, 0], weights[1, 1, 1] = 2.0, -0.5
    fig = plotting.signed_image_grid(weights)
    shown = [ax.get_images()[0] for ax in fig.axes[:2]]
    assert all(image.get_cmap().name == "RdBu_r" for image in shown)
    first, second = (np.asarray(image.get_array()) for image in shown)
    assert first[0, 0] == 1.0 and first[1, 1] == 0.5
    assert second[1, 1] == 0.0 and second[0, 0] == 0.5


def test_metric_bars_leave_out_what_a_row_lacks():
    fig = plotting.metric_bars(
        [{"model": "AE", "rec": 80.0}, {"model": "VAE", "rec": 90.0, "kl": 20.0}],
        {"rec": "reconstruction", "kl": "KL"},
    )
    kl_lengths = [bar.get_width() for bar in fig.axes[1].patches]
    assert np.isnan(kl_lengths[0]) and kl_lengths[1] == 20.0
    with pytest.raises(ValueError, match="at least one row"):
        plotting.metric_bars([], {"rec": "r"})


def test_wide_figures_wrap_to_a_notebooks_width():
    rows = [{"model": f"model {i}", "a": i, "b": i, "c": i, "d": i} for i in range(8)]
    fig = plotting.metric_bars(rows, {"a": "A", "b": "B", "c": "C", "d": "D"})
    assert fig.get_size_inches()[0] <= plotting.figure.MAX_WIDTH
    shown = [ax for ax in fig.axes if ax.axison]
    assert len(shown) == 4
    fig.canvas.draw()
    assert len({round(ax.get_position().y0, 2) for ax in shown}) == 2  # two rows
    fig = plotting.history_comparison({"x": {t: [1, 2] for t in "abcd"}}, list("abcd"))
    assert fig.get_size_inches()[0] <= plotting.figure.MAX_WIDTH
    with pytest.raises(ValueError, match="len\\(ks\\)"):
        plotting.bound_gaps([1, 10], np.zeros((3, 3)), np.zeros(3))


def test_heatmap_labels_rows_and_columns_as_asked():
    fig = plotting.heatmap(np.eye(3), row_labels=["PC 1", "PC 2", "PC 3"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["PC 1", "PC 2", "PC 3"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]
    with pytest.raises(ValueError, match="2 labels for 3"):
        plotting.heatmap(np.eye(3), column_labels=[1, 2])


def test_loss_curves_draw_an_autoencoders_single_term_once():
    history = {"loss": [3.0, 2.0], "reconstruction_loss": [3.0, 2.0]}
    fig = plotting.loss_curves(history)
    assert [ax.get_title() for ax in fig.axes] == ["reconstruction_loss (nats)"]
    vae = {"kl_loss": [1.0, 2.0], "loss": [4.0, 3.0], "reconstruction_loss": [3, 1]}
    titles = [ax.get_title() for ax in plotting.loss_curves(vae).axes]
    assert titles == ["loss (nats)", "reconstruction_loss (nats)", "kl_loss (nats)"]
    with pytest.raises(ValueError, match="no training terms"):
        plotting.loss_curves({"val_loss": [1.0]})


def test_pictures_of_the_plane_need_2d_points():
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        plotting.latent_scatter(np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="n \\* n images"):
        plotting.manifold(np.zeros((5, 28, 28, 1)), np.zeros((5, 2)))


def test_error_bars_bands_labelled_iso_lines_and_seen_ellipses():
    from gdl_vae.measure.stats import Estimate
    from gdl_vae.plotting.latent import ellipse_magnification

    fig = plotting.metric_bars(
        [{"model": "a", "x": Estimate(0.5, 0.02, 3)}, {"model": "b", "x": 0.25}],
        {"x": "x"},
    )
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["0.500 ± 0.020", "0.25"]
    assert len(ax.collections) == 1  # the error bar of the estimate
    fig = plotting.curves(
        [1, 2, 4], {"seeds": [[1, 2, 3], [3, 4, 5]], "one": [1, 1, 1]}
    )
    ax = fig.axes[0]
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(2 - 1) and band[:, 1].max() == 5
    assert [t.get_text() for t in ax.get_legend().texts] == ["seeds (± se)", "one"]
    points = {f"β={b}": (50.0 / b, 70.0 + 10 * b) for b in (0.5, 1, 2, 4)}
    ax = plotting.rate_distortion(points).axes[0]
    levels = [t.get_text() for t in ax.texts if t.get_text().startswith("-ELBO")]
    assert len(levels) == 5  # every iso-line labelled
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    for text in ax.texts:
        x, y = text.xy
        assert x0 <= x <= x1 and y0 <= y <= y1, text.get_text()
    assert ellipse_magnification(0.3, 6.0) == 1.0
    assert ellipse_magnification(0.002, 60.0) == 1000.0
    assert ellipse_magnification(0.002, 60.0, largest=0.05) == 100.0  # 5 < 12
    fig = plotting.posterior_panels(
        {"tiny": (np.random.default_rng(0).normal(size=(50, 2)) * 20,
                  np.full((50, 2), 0.002))},
        np.arange(50) % 10,
    )  # fmt: skip
    assert "(ellipses x1000)" in fig.axes[0].get_title()
