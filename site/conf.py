"""Sphinx configuration of the course website (tools/build_site.py builds it).

The pages are the notebooks with their committed outputs (myst-nb, nothing is
executed) and two pages cut from the README: the course and the benchmarks.
Everything the pages load comes from installed packages: the theme's fonts and
scripts from sphinx-book-theme, MathJax 3 from sphinx-mathjax-offline.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = (ROOT / "pyproject.toml").read_text()
REPOSITORY = re.search(r'^Repository = "(.+)"$', PYPROJECT, re.MULTILINE).group(1)

project = "gdl_vae"
html_title = "gdl_vae: autoencoders, VAEs and generation"
author = "the gdl_vae developers"
copyright = "2026, the gdl_vae developers; Apache License 2.0"
# A copy button on every code cell; the prompt-free cells copy as they are.
extensions = ["myst_nb", "sphinx-mathjax-offline", "sphinx_copybutton"]
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # the committed outputs of a full run are the pages
nb_merge_streams = True
exclude_patterns = ["_build"]
html_theme = "sphinx_book_theme"
html_theme_options = {
    "repository_url": REPOSITORY,
    "repository_branch": "main",
    "path_to_docs": "",
    "use_repository_button": True,
    "launch_buttons": {"colab_url": "https://colab.research.google.com"},
    "show_toc_level": 2,
}
# One search: the header's button (the sidebar's field repeated it).
html_sidebars = {"**": ["navbar-logo.html", "icon-links.html", "sbt-sidebar-nav.html"]}
# Long code lines and outputs wrap instead of being cut off (site.css).
html_static_path = ["static"]
html_css_files = ["site.css"]
html_show_sourcelink = False
html_last_updated_fmt = None
html_favicon = "favicon.png"  # a decoded sample of the course's VAE
# The theme's light mode from the start (an empty mode logs a console error).
html_context = {"default_mode": "light"}
