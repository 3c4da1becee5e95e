"""The course website: built offline from the committed notebooks, then served on
localhost and opened in headless Chromium (Debian's `chromium`, driven by
Playwright). Every page must load without console errors or failed requests and
ask nothing of another host; every image and internal link must resolve; the
equations must be typeset, and every notebook's page has some; code cells have a
copy button and no test or formatter markers. Screenshots of the landing page and
of notebook 02 are saved in build/test-artifacts/site/. Without Playwright or
Chromium the browser test is skipped and says which is missing."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest

from tools import build_site

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "build" / "test-artifacts" / "site"
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# Typeset math leaves none of its TeX delimiters in the page's text.
RAW_MATH = re.compile(r"\$\$|\$\\|\\\(|\\\[")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    build_site.build(out)
    return out


def test_readme_parts_links_and_badges():
    readme = "# T\n\nintro [a](x.py)\n\n## One\n\nbody\n\n## Two\n"
    assert build_site.readme_part(readme, None, "## One") == "# T\n\nintro [a](x.py)\n"
    assert build_site.readme_part(readme, "## One", "## Two") == "## One\n\nbody\n"
    with pytest.raises(ValueError, match="no heading '## Three'"):
        build_site.readme_part(readme, "## One", "## Three")
    repo = build_site.REPOSITORY
    text = (
        "[nb](notebooks/a.ipynb) [r](benchmarks/run.py#L3) [w](https://x.org) [s](#s)"
    )
    assert build_site.rewrite_links(text, {"notebooks/a.ipynb"}) == (
        f"[nb](notebooks/a.ipynb) [r]({repo}/blob/main/benchmarks/run.py#L3) "
        "[w](https://x.org) [s](#s)"
    )
    badge = (
        "[![Open in Colab](https://colab.example/badge.svg)](https://colab.example/nb)"
    )
    assert build_site.unbadge(badge) == "[Open in Colab](https://colab.example/nb)"


def test_site_has_every_page_and_loads_nothing_from_elsewhere(site):
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    expected = {"index.html", "benchmarks.html"}
    expected |= {f"notebooks/{name}.html" for name in NOTEBOOKS}
    assert expected <= pages
    for page in pages:
        html = (site / page).read_text()
        assets = re.findall(r'<(?:script|img|link)\b[^>]*?(?:src|href)="([^"]+)"', html)
        assert assets, page
        remote = [a for a in assets if re.match(r"(https?:)?//", a)]
        assert not remote, f"{page} loads {remote}"
    for name in NOTEBOOKS:  # each notebook page links to itself in Colab
        html = (site / f"notebooks/{name}.html").read_text()
        colab = "colab.research.google.com/github/gdl-vae/gdl_vae/blob/main/"
        assert f"{colab}notebooks/{name}.ipynb" in html, name
        assert "<img" in html, name  # its figures, from the committed outputs
        # The harness's and the formatters' markers stay in the notebooks only.
        markers = re.findall(r"NBVAL_\w+|isort: split|fmt: skip", html)
        assert not markers, f"{name} shows {sorted(set(markers))}"
    footer = (site / "index.html").read_text()
    assert "the gdl_vae developers" in footer and "Author name not set" not in footer


def test_staging_strips_the_markers_and_keeps_the_code():
    source = (
        "# NBVAL_CHECK_OUTPUT\nimport gdl_vae  # first\n\n# isort: split\n\n"
        "import time\nx = f(\n    1,\n)  # fmt: skip\ny = 2  # a comment"
    )
    assert build_site.strip_markers(source) == (
        "import gdl_vae  # first\n\nimport time\nx = f(\n    1,\n)\ny = 2  # a comment"
    )


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def served(site):
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


def test_site_in_a_browser(chromium, site, served):
    from playwright.sync_api import sync_playwright

    pages = sorted(  # the theme's own templates in _static/ are not pages
        p.relative_to(site).as_posix()
        for p in site.rglob("*.html")
        if p.parts[len(site.parts)] != "_static"
    )
    problems: list[str] = []
    links: set[tuple[str, str]] = set()
    math_count = copy_buttons = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        current = {"path": ""}

        def problem(text: str) -> None:
            problems.append(f"{current['path']}: {text}")

        page.on(
            "console",
            lambda m: (
                problem(f"console {m.type}: {m.text}") if m.type == "error" else None
            ),
        )
        page.on("pageerror", lambda e: problem(f"script error: {e}"))
        page.on("requestfailed", lambda r: problem(f"failed request {r.url}"))
        page.on(
            "response",
            lambda r: (
                problem(f"HTTP {r.status} for {r.url}") if r.status >= 400 else None
            ),
        )
        page.on(
            "request",
            lambda r: None if r.url.startswith(served) else problem(f"asks {r.url}"),
        )
        for path in pages:
            current["path"] = path
            page.goto(served + path, wait_until="networkidle")
            if path.startswith("notebooks/"):
                page.wait_for_selector("button.copybtn", state="attached")
                copy_buttons += page.locator("button.copybtn").count()
            n_math = page.locator(".math").count()
            if path.startswith("notebooks/") and not n_math:
                problem("no typeset equation on this notebook's page")
            if n_math:
                page.wait_for_function(
                    "n => document.querySelectorAll('.math mjx-container').length"
                    " === n",
                    arg=n_math,
                    timeout=30_000,
                )
                math_count += n_math
            text = page.evaluate(
                """() => { const a = (document.querySelector('article')
                || document.body).cloneNode(true);
                a.querySelectorAll('pre, code, script').forEach(e => e.remove());
                return a.textContent; }"""
            )
            if RAW_MATH.search(text):
                problem(f"raw TeX in the text: {RAW_MATH.search(text).group(0)!r}")
            broken = page.evaluate(
                "[...document.images].filter(i => !(i.complete && i.naturalWidth))"
                ".map(i => i.src)"
            )
            for src in broken:
                problem(f"image does not load: {src}")
            for href in page.evaluate("[...document.links].map(a => a.href)"):
                if href.startswith(served):
                    links.add(urldefrag(href))
            if path == "index.html":
                ARTEFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=ARTEFACTS / "landing.png")
            if path == "notebooks/02_variational_autoencoder.html":
                page.screenshot(path=ARTEFACTS / "notebook_02.png")
        browser.close()
    for url, fragment in sorted(links):
        target = unquote(urlparse(url).path).lstrip("/") or "index.html"
        if target.endswith("/"):
            target += "index.html"
        file = site / target
        if not file.is_file():
            problems.append(f"link to a missing page: {url}")
        elif fragment and f'id="{fragment}"' not in file.read_text():
            problems.append(f"link to a missing anchor: {url}#{fragment}")
    assert not problems, "\n".join(problems)
    # The checks saw something: the equations of notebooks 02, 06 and 07,
    # and links between the pages.
    assert math_count >= 10
    assert copy_buttons >= 10 * len(NOTEBOOKS)  # one on every code cell
    assert len(links) > 50
    for shot in ("landing.png", "notebook_02.png"):
        assert (ARTEFACTS / shot).stat().st_size > 20_000
