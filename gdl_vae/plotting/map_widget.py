"""The latent explorer's widgets: its controls, and its map in the browser.

`explorer_widget` lays out a LatentExplorer (explorer.py) as ipywidgets and
wires them to its callbacks. The map is a small anywidget: a few lines of
JavaScript (an ES module, shipped here) draw the PNG the kernel sends and
report where the mouse is and where it clicked, as fractions of the picture's
width and height. Without anywidget, `clickable_map` returns None and the
explorer shows a plain picture.
"""

from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image

# Mouse positions go out at most every 40 ms, the last one always; each click
# carries its time, so two clicks on one spot are two changes.
MAP_ESM = """
function render({ model, el }) {
  const img = document.createElement("img");
  img.className = "gdl-vae-map";
  img.draggable = false;
  img.style.cursor = "crosshair";
  let url = null;
  const show = () => {
    if (url) URL.revokeObjectURL(url);
    url = URL.createObjectURL(new Blob([model.get("value")], { type: "image/png" }));
    img.src = url;
  };
  const at = (event) => {
    const box = img.getBoundingClientRect();
    return [(event.clientX - box.left) / box.width,
            (event.clientY - box.top) / box.height];
  };
  let pending = null, timer = null;
  const send = () => {
    timer = null;
    model.set("hover", pending);
    model.save_changes();
  };
  img.addEventListener("mousemove", (event) => {
    pending = at(event);
    if (timer === null) timer = setTimeout(send, 40);
  });
  img.addEventListener("click", (event) => {
    model.set("click", [...at(event), performance.now()]);
    model.save_changes();
  });
  model.on("change:value", show);
  show();
  el.appendChild(img);
}
export default { render };
"""


@functools.cache
def _clickable_map_class():
    """The map's widget class (made once), or None without anywidget."""
    try:
        import anywidget
        import traitlets
    except ImportError:
        return None

    class ClickableMap(anywidget.AnyWidget):
        _esm = MAP_ESM
        value = traitlets.Bytes(b"").tag(sync=True)  # the PNG shown
        hover = traitlets.List([]).tag(sync=True)  # [x, y], fractions
        click = traitlets.List([]).tag(sync=True)  # [x, y, time]

    return ClickableMap


def clickable_map(png: bytes):
    """The map as a widget that reports hover and clicks, or None without
    anywidget."""
    widget_class = _clickable_map_class()
    return None if widget_class is None else widget_class(value=png)


def png(pixels: np.ndarray) -> bytes:
    """A uint8 picture (H, W) or (H, W, 3) as PNG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def explorer_widget(explorer):
    """A LatentExplorer as ipywidgets: the map (which answers the mouse when
    anywidget is there), the view, sliders, mode and the A/B buttons; the
    explorer keeps them in explorer.widgets."""
    import ipywidgets as widgets

    low, high = explorer.low, explorer.high
    sliders = [
        widgets.FloatSlider(
            value=float(explorer.point[i]), min=float(low[i]), max=float(high[i]),
            step=float(high[i] - low[i]) / 200, description=f"z[{i}]",
            continuous_update=True, readout_format=".2f",
        )
        for i in range(2)
    ]  # fmt: skip
    mode = widgets.ToggleButtons(
        options=explorer.modes, value=explorer.mode, description="mode"
    )
    buttons = [widgets.Button(description=f"{name} here") for name in "AB"]
    map_png = png(explorer.map_pixels())
    map_view = clickable_map(map_png) or widgets.Image(format="png", value=map_png)
    digit_view = widgets.Image(format="png", value=png(explorer.view_pixels()))
    status = widgets.HTML()
    explorer.widgets = {
        "sliders": sliders, "mode": mode, "buttons": buttons,
        "map": map_view, "view": digit_view, "status": status,
    }  # fmt: skip
    following = [False]  # sliders being set to the point: no echo
    # What follow() set each slider to since the user last moved one. The
    # front end snaps a slider set from here to its step and may send that
    # back, even after the mouse has moved on: such an echo is no move.
    sent: list[list[float]] = [[], []]

    def follow() -> None:
        """Sliders to the point the mouse set."""
        following[0] = True
        for slider, value, values in zip(sliders, explorer.point, sent, strict=True):
            slider.value = float(value)
            values.append(float(value))
        following[0] = False

    def refresh() -> None:
        map_view.value = png(explorer.map_pixels())
        digit_view.value = png(explorer.view_pixels())
        z = ", ".join(f"{c:.2f}" for c in explorer.point)
        ends = ", ".join(f"{k} = ({explorer.ends[k][0]:.2f}, {explorer.ends[k][1]:.2f})"
                         for k in sorted(explorer.ends))  # fmt: skip
        status.value = f"z = ({z})" + (f"; {ends}" if ends else "")

    def on_slide(change) -> None:
        if following[0]:
            return
        i = sliders.index(change["owner"])
        # Snapping moves a value by half a step at most; a key press, a step.
        if any(abs(change["new"] - v) < 0.6 * sliders[i].step for v in sent[i]):
            return  # an echo of what follow() set
        sent[0].clear(), sent[1].clear()
        z = [float(c) for c in explorer.point]  # the other slider may hold an echo
        z[i] = change["new"]
        explorer.move_to(z)
        refresh()

    def on_mode(change) -> None:
        explorer.mode = change["new"]
        refresh()

    def on_hover(change) -> None:
        if len(change["new"]) == 2:
            explorer.move_to(explorer.at_map(*change["new"]))
            follow()
            refresh()

    def on_click(change) -> None:
        if len(change["new"]) == 3:
            explorer.click(*change["new"][:2])
            follow()
            refresh()

    for slider in sliders:
        slider.observe(on_slide, names="value")
    mode.observe(on_mode, names="value")
    if "hover" in map_view.trait_names():
        map_view.observe(on_hover, names="hover")
        map_view.observe(on_click, names="click")
    for name, button in zip("AB", buttons, strict=True):
        button.on_click(lambda _b, name=name: (explorer.set_end(name), refresh()))
    refresh()
    controls = widgets.VBox([*sliders, mode, widgets.HBox(buttons), status])
    return widgets.VBox(
        [widgets.HBox([map_view, widgets.VBox([digit_view, controls])])]
    )
