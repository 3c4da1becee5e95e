"""The latent explorer in a live JupyterLab: a real kernel, a real front end.

A notebook that trains a small 2-D VAE and calls explore_latent is opened in
JupyterLab in headless Chromium and run; then the test does what a learner
does (drag the z[0] slider with the keyboard, fix A, move, fix B, switch to
interpolation, move the mouse over the map, click A and B on it) and checks
that the kernel answered each time: the readout, the sliders, the decoded digit
and the strip change. A screenshot is saved in
build/test-artifacts/explorer/. Skipped without Playwright, Chromium or
JupyterLab."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

ARTEFACTS = Path(__file__).resolve().parent.parent / "build/test-artifacts/explorer"
CELLS = [
    "import keras, gdl_vae\n"
    "keras.utils.set_random_seed(0)\n"
    "data = gdl_vae.load_dataset('mnist')\n"
    "x = gdl_vae.binarize(data.x_train[:2000], 'static')\n"
    "vae = gdl_vae.build_vae(2, 'dense', seed=0)\n"
    "vae.fit(x, epochs=2, batch_size=100, verbose=0)",
    "x_test = gdl_vae.binarize(data.x_test[:500], 'static')\n"
    "explorer = gdl_vae.explore_latent(vae, x_test, data.y_test[:500])",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on localhost whose folder holds the notebook."""
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed")
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "execution_count": None,
             "outputs": [], "source": source}
            for source in CELLS
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    (tmp_path / "explore.ipynb").write_text(json.dumps(notebook))
    # A live front end: no GDL_VAE_NO_WIDGETS (nbval's setting) for this kernel.
    env = {k: v for k, v in os.environ.items() if k != "GDL_VAE_NO_WIDGETS"}
    env["GDL_VAE_OFFLINE"] = "1"
    port = free_port()
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
        "--ServerApp.ip=127.0.0.1", "--ServerApp.token=explorer",
        f"--ServerApp.root_dir={tmp_path}", "--LabApp.expose_app_in_browser=True",
        "--allow-root",
    ]  # fmt: skip
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api?token=explorer", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(
                "JupyterLab did not start: " + (tmp_path / "server.log").read_text()
            )
        yield f"{base}/lab/tree/explore.ipynb?token=explorer"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_the_explorer_answers_in_a_live_jupyterlab(chromium, jupyterlab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(jupyterlab)
        page.wait_for_function(
            "window.jupyterapp && document.querySelector('.jp-Notebook')",
            timeout=120_000,
        )
        page.wait_for_function(  # the kernel is up
            "document.body.innerText.includes('Idle')", timeout=120_000
        )
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_for_selector(".widget-slider .noUi-handle", timeout=300_000)
        status = page.locator(".jp-OutputArea .widget-html-content").first
        view = page.locator(".jp-OutputArea .widget-image")  # the decoded digit
        the_map = page.locator(".jp-OutputArea img.gdl-vae-map")  # anywidget's
        assert view.count() == 1 and the_map.count() == 1
        page.wait_for_function(
            "el => el.innerText.startsWith('z = (')", arg=status.element_handle()
        )

        def press(key: str, times: int) -> None:
            handle = page.locator(".widget-slider .noUi-handle").first
            handle.focus()
            for _ in range(times):
                page.keyboard.press(key)

        def settled() -> str:
            """The kernel's readout once it has caught up with the slider's
            (which writes a minus as U+2212)."""
            readout = page.locator(".widget-readout").first.element_handle()
            page.wait_for_function(
                """([el, readout]) => el.innerText.startsWith('z = ('
                       + readout.innerText.trim().replace('\u2212', '-') + ',')""",
                arg=[status.element_handle(), readout],
                timeout=30_000,
            )
            return status.inner_text()

        def shows(text: str) -> str:
            page.wait_for_function(
                "([el, text]) => el.innerText.includes(text)",
                arg=[status.element_handle(), text],
                timeout=30_000,
            )
            return status.inner_text()

        start, digit = settled(), view.get_attribute("src")
        press("ArrowRight", 30)  # drag z[0] to the right
        page.wait_for_function(
            "([el, old]) => el.src !== old",
            arg=[view.element_handle(), digit],
            timeout=30_000,
        )
        moved = settled()
        page.get_by_role("button", name="A here").click()
        with_a = shows("A = (")
        press("ArrowLeft", 60)
        back = settled()
        page.get_by_role("button", name="B here").click()
        with_b = shows("B = (")
        page.get_by_role("button", name="interpolate").click()
        page.wait_for_function(
            "el => el.naturalWidth > 2 * el.naturalHeight",  # the strip of frames
            arg=view.element_handle(),
            timeout=30_000,
        )
        box = the_map.bounding_box()

        def on_map(x: float, y: float) -> tuple[float, float]:
            return box["x"] + x * box["width"], box["y"] + y * box["height"]

        def until(done) -> str:
            """The readout, once done(readout) holds (30 s at the most)."""
            for _ in range(300):
                text = status.inner_text()
                if done(text):
                    return text
                page.wait_for_timeout(100)
            raise AssertionError(f"the readout stayed at {text!r}")

        page.mouse.move(*on_map(0.15, 0.5))  # the point follows the mouse,
        until(lambda t: z_of(t) != z_of(back))
        # and the sliders follow the point (the front end may snap them to their
        # step and send that back, half a step at most)
        left = settled()
        page.mouse.move(*on_map(0.85, 0.5))
        until(lambda t: z_of(t) != z_of(left))
        right = settled()

        page.mouse.click(*on_map(0.2, 0.4))  # in interpolation mode: A, then B
        clicked_a = until(lambda t: "B = (" not in t and "A = (" in t)
        page.mouse.click(*on_map(0.8, 0.6))
        clicked = until(lambda t: "B = (" in t)
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTEFACTS / "explorer_live.png")
        browser.close()
    z0 = [z_of(text)[0] for text in (start, moved, back, left, right)]
    assert z0[1] > z0[0] > z0[2]  # right, then left past the start
    assert z0[4] > z0[3]  # the mouse moved right over the map
    assert "A = (" in with_a and "B = (" in with_b
    a, b = z_of(clicked, "A"), z_of(clicked, "B")
    assert z_of(clicked_a, "A") == a
    # where the clicks were, in the scale the two hovers give the map's width
    (x15, _), (x85, _) = z_of(left), z_of(right)
    expected = [x15 + (x - 0.15) / 0.7 * (x85 - x15) for x in (0.2, 0.8)]
    np.testing.assert_allclose([a[0], b[0]], expected, atol=0.02)
    assert a[1] > b[1]  # B clicked below A
    assert not errors, errors


def z_of(status: str, name: str = "z") -> tuple[float, float]:
    """The coordinates the readout gives for the point z or the end A or B."""
    inside = status.split(f"{name} = (")[1].split(")")[0]
    u, v = inside.split(", ")
    return float(u), float(v)
