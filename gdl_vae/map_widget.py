"""The latent explorer's map in the browser: a picture that answers the mouse.

A small anywidget: a few lines of JavaScript (an ES module, shipped here) draw
the PNG the kernel sends and report where the mouse is and where it clicked, as
fractions of the picture's width and height. Without anywidget,
`clickable_map` returns None and the explorer shows a plain picture.
"""

from __future__ import annotations

import functools

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
