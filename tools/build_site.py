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
    course = readme_part(readme, None, "## Start")
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
    benchmarks = "# Benchmarks\n" + re.sub(
        r"(?m)^## ", "## ", benchmarks[len("## Benchmarks") :]
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
