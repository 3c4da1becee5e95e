"""Build the course website offline: python tools/build_site.py [OUT].

The site is the notebooks with their committed outputs, one page each, and two
pages cut from the README: the landing page (the course and its notebook list)
and the benchmarks (the README's "Benchmarks" and "Precision" sections). The
sources are staged in build/site-src, then Sphinx (site/conf.py) writes HTML
into OUT (default build/site); open OUT/index.html, or serve the folder. No
network is used: the theme and MathJax come from the installed packages (the
`site` extra). `make site` runs this.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONF_DIR = ROOT / "site"
STAGING = ROOT / "build" / "site-src"
REPOSITORY = re.search(
    r'^Repository = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.MULTILINE
).group(1)
# Markdown links and images: [text](target) and ![alt](target).
LINK = re.compile(r"(!?\[[^\]]*\])\(([^)\s]+)\)")
# A badge: a linked image from another site, [![alt](https://...)](target).
BADGE = re.compile(r"\[!\[([^\]]*)\]\(https?://[^)\s]+\)\]\(([^)\s]+)\)")


# Comments for the test harness and the formatters, not for the learner: whole
# lines (# NBVAL_CHECK_OUTPUT, # isort: split) and line ends (  # fmt: skip).
MARKER_LINE = re.compile(r"^\s*# (NBVAL_[A-Z_]+|isort: \w+|fmt: (off|on|skip))\s*$")
MARKER_END = re.compile(r"\s+# (fmt: skip|noqa(: [A-Z0-9, ]+)?)\s*$")


# The README speaks to a reader of the repository; on the landing page these
# sentences read as the site's own. Each must be found: a README edit that
# drops one fails the build instead of leaving the old wording.
LANDING_WORDING = {
    "Each is committed with its\noutputs, so you can also just read it on GitHub.": (
        "Each page of this site is a notebook with the outputs of its full run."
    ),
    "install it as below and open": "install it as the repository's README says, "
    "and open",
}
# The landing page's picture, after its first paragraph.
LANDING_FIGURE = """```{image} docs/images/samples.png
:alt: Sixty-four new digits, decoded from z ~ N(0, I) by the VAE that make train trains
:width: 400px
:align: center
```"""


def landing_page(course: str) -> str:
    """The README's course part as the site's landing page: its wording for the
    site, and a figure of what the course builds after the first paragraph."""
    for old, new in LANDING_WORDING.items():
        if old not in course:
            raise ValueError(
                f"the README no longer says {old!r}: update LANDING_WORDING"
            )
        course = course.replace(old, new)
    first_paragraph_end = course.index("\n\n", course.index("\n\n") + 2)
    return (
        course[:first_paragraph_end]
        + "\n\n"
        + LANDING_FIGURE
        + course[first_paragraph_end:]
    )


def strip_markers(source: str) -> str:
    """A code cell as the learner should read it: the harness's and the
    formatters' marker comments removed, with the blank lines they leave."""
    lines = [
        MARKER_END.sub("", line)
        for line in source.split("\n")
        if not MARKER_LINE.match(line)
    ]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    return text.strip("\n")


def unbadge(text: str) -> str:
    """Badges become plain links ("Open in Colab"): the site loads nothing from
    other hosts, so it reads the same offline."""
    return BADGE.sub(r"[\1](\2)", text)


def readme_part(readme: str, start: str | None, stop: str) -> str:
    """The README from the heading `start` (its top if None) to the heading
    `stop`, exclusive; a ValueError names a heading that is not there."""
    for heading in (h for h in (start, stop) if h):
        if f"\n{heading}\n" not in readme:
            raise ValueError(f"the README has no heading {heading!r}")
    begin = 0 if start is None else readme.index(f"\n{start}\n") + 1
    return readme[begin : readme.index(f"\n{stop}\n", begin)].rstrip() + "\n"


def rewrite_links(text: str, staged: set[str]) -> str:
    """Relative links to files the site does not contain point at the
    repository instead (blob/main/...); links to staged pages and images stay."""

    def fix(match: re.Match) -> str:
        label, target = match.groups()
        if re.match(r"[a-z]+:|#", target):
            return match.group(0)
        path = target.split("#")[0]
        if path in staged:
            return match.group(0)
        return f"{label}({REPOSITORY}/blob/main/{target})"

    return LINK.sub(fix, text)


def stage(staging: Path = STAGING) -> list[str]:
    """Write the site's sources into `staging`; returns the notebook pages."""
    if staging.exists():
        shutil.rmtree(staging)
    (staging / "notebooks").mkdir(parents=True)
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for notebook in notebooks:
        content = json.loads(notebook.read_text())
        for cell in content["cells"]:
            if cell["cell_type"] == "markdown":
                cell["source"] = unbadge("".join(cell["source"]))
            elif cell["cell_type"] == "code":  # the notebooks keep their markers
                cell["source"] = strip_markers("".join(cell["source"]))
        (staging / "notebooks" / notebook.name).write_text(json.dumps(content))
    staged = {f"notebooks/{n.name}" for n in notebooks} | {"benchmarks.md"}
    readme = unbadge((ROOT / "README.md").read_text())
    for image in sorted(set(re.findall(r"!\[[^\]]*\]\(([^)#\s]+)\)", readme))):
        if not re.match(r"[a-z]+:", image) and (ROOT / image).is_file():
            (staging / image).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / image, staging / image)
            staged.add(image)
    pages = [f"notebooks/{n.stem}" for n in notebooks]
    toctree = "\n".join(["```{toctree}", ":hidden:", ":maxdepth: 1", ""])
    course = landing_page(readme_part(readme, None, "## Start"))
    (staging / "index.md").write_text(
        rewrite_links(course, staged)
        + "\nThe course's code, its tests and the command line live in the "
        f"[repository]({REPOSITORY}); its README says how to install and run "
        "them. The [benchmarks](benchmarks.md) page has every measured figure.\n\n"
        + toctree
        + "\n".join([*pages, "benchmarks"])
        + "\n```\n"
    )
    benchmarks = readme_part(readme, "## Benchmarks", "## Layout")
    # The page's title is the README's "## Benchmarks"; its parts (### in the
    # README) are the page's sections, beside "## Precision".
    benchmarks = "# Benchmarks\n" + re.sub(
        r"(?m)^### ", "## ", benchmarks[len("## Benchmarks") :]
    )
    (staging / "benchmarks.md").write_text(rewrite_links(benchmarks, staged))
    return pages


def build(out: Path) -> Path:
    """Stage the sources and build the HTML into `out`; returns out/index.html."""
    from sphinx.cmd.build import build_main

    stage()
    status = build_main(
        ["-b", "html", "-q", "-E", "-W", "--keep-going", "-c", str(CONF_DIR),
         str(STAGING), str(out)]
    )  # fmt: skip
    if status:
        raise SystemExit(f"the site did not build (Sphinx exit status {status})")
    return out / "index.html"


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "site"
    print(f"built {build(out.resolve())}")
