"""The latent explorer's callbacks (point -> image, A and B -> strip), its
pictures, its widgets driven as a front end would, and its static fallback."""

import base64
import io

import keras
import numpy as np
import pytest
from PIL import Image

import gdl_vae
from gdl_vae.plotting import explorer as explorer_module
from gdl_vae.plotting import map_widget
from gdl_vae.plotting.explorer import DIGIT_PIXELS, MAP_PIXELS, LatentExplorer
from gdl_vae.plotting.figure import SMALLEST_TEXT, text_pixels


@pytest.fixture(scope="module")
def explorer(trained_vae, binary, mnist):
    return LatentExplorer(trained_vae, binary[1][:300], mnist.y_test[:300], steps=5)


def sigmoid_decode(model, z) -> np.ndarray:
    """The decoder's mean image, computed here from its logits."""
    logits = keras.ops.convert_to_numpy(model.decoder(np.asarray(z, np.float32)))
    return 1 / (1 + np.exp(-logits[..., 0]))


def test_a_point_decodes_to_the_decoders_mean_image(explorer, trained_vae):
    z = np.array([0.3, -0.7], np.float32)
    image = explorer.move_to(z)
    assert image.shape == (28, 28)
    np.testing.assert_allclose(
        image, sigmoid_decode(trained_vae, z[None])[0], atol=1e-6
    )
    np.testing.assert_array_equal(explorer.point, z)
    # A point off the plane is clipped to it, and decoded there.
    far = explorer.move_to([1e6, -1e6])
    np.testing.assert_array_equal(explorer.point, [explorer.high[0], explorer.low[1]])
    np.testing.assert_allclose(
        far, sigmoid_decode(trained_vae, explorer.point[None])[0], atol=1e-6
    )


def test_the_interpolation_runs_from_a_to_b(explorer, trained_vae):
    explorer.ends.clear()
    with pytest.raises(ValueError, match="fix both ends"):
        explorer.interpolation()
    a, b = explorer.codes[0], explorer.codes[1]
    explorer.set_end("A", a)
    explorer.move_to(b)
    explorer.set_end("B")  # the current point
    strip = explorer.interpolation()
    assert strip.shape == (5, 28, 28)
    expected = sigmoid_decode(trained_vae, [a, (a + b) / 2, b])
    np.testing.assert_allclose(strip[[0, 2, 4]], expected, atol=1e-6)
    with pytest.raises(ValueError, match="'A' or 'B'"):
        explorer.set_end("C")


def test_the_map_marks_the_point_and_the_segment(explorer):
    explorer.mode = "point"
    explorer.move_to(explorer.codes[5])
    picture = explorer.map_pixels()
    assert picture.shape == (MAP_PIXELS, MAP_PIXELS, 3)
    u, v = (round(float(c)) for c in explorer._to_pixels(explorer.point))
    assert (picture[v, u] == 0).all()  # the black cross at the point
    explorer.move_to(explorer.codes[6])
    assert (explorer.map_pixels() != picture).any()
    explorer.mode = "interpolate"
    explorer.set_end("A", explorer.low + 0.2 * (explorer.high - explorer.low))
    explorer.set_end("B", explorer.low + 0.8 * (explorer.high - explorer.low))
    middle = (explorer.ends["A"] + explorer.ends["B"]) / 2
    u, v = (round(float(c)) for c in explorer._to_pixels(middle))
    assert (explorer.map_pixels()[v - 1 : v + 2, u - 1 : u + 2] == 0).any()
    assert explorer.view_pixels().shape == (DIGIT_PIXELS // 2, 5 * DIGIT_PIXELS // 2)
    explorer.mode = "point"
    assert explorer.view_pixels().shape == (DIGIT_PIXELS, DIGIT_PIXELS)


def test_the_widgets_call_the_explorer(explorer):
    """Drive the widgets as the browser would: drag a slider, switch the mode,
    press the A and B buttons; what the views show follows."""
    pytest.importorskip("ipywidgets", reason="ipywidgets is not installed")
    explorer.widget()
    parts = explorer.widgets
    sliders = parts["sliders"]
    target = explorer.codes[7]
    sliders[0].value, sliders[1].value = float(target[0]), float(target[1])
    np.testing.assert_allclose(explorer.point, target, atol=1e-6)
    shown = np.asarray(Image.open(io.BytesIO(parts["view"].value)))
    np.testing.assert_array_equal(shown, explorer.view_pixels())
    parts["mode"].value = "interpolate"
    parts["buttons"][0].click()
    sliders[0].value = float(explorer.codes[8][0])
    sliders[1].value = float(explorer.codes[8][1])
    parts["buttons"][1].click()
    np.testing.assert_allclose(explorer.ends["A"], target, atol=1e-6)
    np.testing.assert_allclose(explorer.ends["B"], explorer.codes[8], atol=1e-6)
    strip = np.asarray(Image.open(io.BytesIO(parts["view"].value)))
    assert strip.shape == (DIGIT_PIXELS // 2, 5 * DIGIT_PIXELS // 2)
    assert "A = (" in parts["status"].value and "B = (" in parts["status"].value
    parts["mode"].value = "point"


def test_a_map_position_is_the_latent_point_drawn_there(explorer):
    for code in explorer.codes[:5]:
        u, v = explorer._to_pixels(code)
        np.testing.assert_allclose(
            explorer.at_map(u / MAP_PIXELS, v / MAP_PIXELS), code, atol=1e-5
        )
    np.testing.assert_allclose(
        explorer.at_map(0, 0), [explorer.low[0], explorer.high[1]]
    )
    np.testing.assert_allclose(
        explorer.at_map(1, 1), [explorer.high[0], explorer.low[1]]
    )


def test_clicks_move_the_point_or_fix_a_then_b(explorer):
    explorer.mode, explorer.ends = "point", {}
    assert explorer.click(0.25, 0.75) is None
    np.testing.assert_allclose(explorer.point, explorer.at_map(0.25, 0.75))
    assert explorer.ends == {}
    explorer.mode = "interpolate"
    assert [explorer.click(x, 0.5) for x in (0.1, 0.9, 0.3)] == ["A", "B", "A"]
    np.testing.assert_allclose(explorer.ends["A"], explorer.at_map(0.3, 0.5))
    assert "B" not in explorer.ends  # a third click starts a new pair
    assert explorer.click(0.7, 0.2) == "B"
    np.testing.assert_allclose(explorer.ends["B"], explorer.at_map(0.7, 0.2))
    explorer.mode = "point"


def test_the_map_widget_answers_the_mouse(explorer):
    """The anywidget map: a hover moves the point (and the sliders with it), a
    click in interpolation mode fixes A, the next one B."""
    pytest.importorskip("anywidget", reason="anywidget is not installed")
    explorer.mode, explorer.ends = "point", {}
    explorer.widget()
    parts = explorer.widgets
    map_view = parts["map"]
    assert {"hover", "click"} <= set(map_view.trait_names())
    shown = np.asarray(Image.open(io.BytesIO(map_view.value)))
    np.testing.assert_array_equal(shown, explorer.map_pixels())
    map_view.hover = [0.2, 0.3]
    z = explorer.at_map(0.2, 0.3)
    np.testing.assert_allclose(explorer.point, z)
    np.testing.assert_allclose([s.value for s in parts["sliders"]], z, atol=1e-6)
    assert parts["status"].value.startswith(f"z = ({z[0]:.2f}, {z[1]:.2f})")
    view = np.asarray(Image.open(io.BytesIO(parts["view"].value)))
    np.testing.assert_array_equal(view, explorer.view_pixels())
    parts["mode"].value = "interpolate"
    map_view.click = [0.1, 0.5, 1.0]
    map_view.click = [0.9, 0.5, 2.0]
    np.testing.assert_allclose(explorer.ends["A"], explorer.at_map(0.1, 0.5))
    np.testing.assert_allclose(explorer.ends["B"], explorer.at_map(0.9, 0.5))
    strip = np.asarray(Image.open(io.BytesIO(parts["view"].value)))
    assert strip.shape == (DIGIT_PIXELS // 2, 5 * DIGIT_PIXELS // 2)
    parts["mode"].value = "point"


def test_a_late_echo_of_the_sliders_does_not_move_the_point_back(explorer):
    """The front end snaps a slider set from the kernel to its step and may send
    that back after the mouse has moved on; a key press still moves the point."""
    pytest.importorskip("anywidget", reason="anywidget is not installed")
    explorer.mode, explorer.ends = "point", {}
    explorer.widget()
    parts = explorer.widgets
    z0, step = parts["sliders"][0], parts["sliders"][0].step
    parts["map"].hover = [0.2, 0.5]
    left = z0.value
    parts["map"].hover = [0.8, 0.5]
    right = explorer.point.copy()
    z0.value = left + 0.4 * step  # the snapped echo of the first position
    np.testing.assert_allclose(explorer.point, right)
    z0.value = right[0] + step  # the user presses the right arrow
    assert explorer.point[0] == pytest.approx(right[0] + step)
    assert explorer.point[1] == pytest.approx(right[1])


def test_without_anywidget_the_map_is_a_picture(explorer, monkeypatch):
    pytest.importorskip("ipywidgets", reason="ipywidgets is not installed")
    import ipywidgets

    monkeypatch.setattr(map_widget, "clickable_map", lambda png: None)
    explorer.widget()
    assert type(explorer.widgets["map"]) is ipywidgets.Image


def test_without_a_front_end_the_explorer_is_a_static_figure(
    trained_vae, binary, mnist, monkeypatch, capsys
):
    monkeypatch.setenv("GDL_VAE_NO_WIDGETS", "1")
    assert not gdl_vae.plotting.explorer.widget_frontend()
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    result = gdl_vae.explore_latent(trained_vae, binary[1][:200], mnist.y_test[:200])
    assert isinstance(result, LatentExplorer)
    assert capsys.readouterr().out.strip() == explorer_module.LIVE_EXPLORER
    (figure,) = shown
    assert len(figure.axes) == 2 + result.steps  # map, grid, the strip's frames
    assert text_pixels(figure) >= SMALLEST_TEXT
    monkeypatch.delenv("GDL_VAE_NO_WIDGETS")
    assert not gdl_vae.plotting.explorer.widget_frontend()  # not in a Jupyter kernel


def test_the_widget_comes_with_its_static_figure_for_front_ends_without_widgets(
    trained_vae, binary, mnist, monkeypatch
):
    pytest.importorskip("ipywidgets", reason="ipywidgets is not installed")
    monkeypatch.setattr(explorer_module, "widget_frontend", lambda: True)
    monkeypatch.setattr(map_widget, "clickable_map", lambda png: None)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: shown.append((a, k)))
    gdl_vae.explore_latent(trained_vae, binary[1][:200], mnist.y_test[:200])
    ((bundle,), options) = shown[0]
    assert options == {"raw": True}
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")


def test_the_explorer_needs_a_2d_model(binary, mnist):
    vae = gdl_vae.build_vae(3, "dense")
    with pytest.raises(ValueError, match="2-D latent space"):
        LatentExplorer(vae, binary[1][:10], mnist.y_test[:10])
    with pytest.raises(ValueError, match="labels"):
        LatentExplorer(gdl_vae.build_vae(2, "dense"), binary[1][:10], mnist.y_test[:9])
