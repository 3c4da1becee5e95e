"""The notebooks' structure, links and committed outputs (nbval runs their cells).

nbval (`pytest` with `--nbval-lax`, see pyproject.toml) executes every notebook
in quick mode and compares the cells marked NBVAL_CHECK_OUTPUT; these tests check
what nbval does not: the shared skeleton, that every link and install command
points at the repository named in pyproject.toml, and that the committed outputs
come from a clean, full, top-to-bottom run.
"""

import configparser
import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# [project.urls] Repository (a regex: tomllib needs Python 3.11).
REPOSITORY = re.search(
    r'^Repository = "([^"]+)"$', (ROOT / "pyproject.toml").read_text(), re.MULTILINE
).group(1)
OWNER_NAME = REPOSITORY.removeprefix("https://github.com/")
ids = [p.stem for p in NOTEBOOKS]
# An absolute path of the machine that ran the notebook: /work/..., /home/...
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|home|root|tmp|Users|content)/")


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def source(cell: dict) -> str:
    return "".join(cell["source"])


def outputs_text(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append("".join(output["text"]))
        elif "data" in output:
            parts.append("".join(output["data"].get("text/plain", "")))
    return "".join(parts)


def test_the_course_has_its_notebooks():
    assert [p.name[:3] for p in NOTEBOOKS][:3] == ["01_", "02_", "03_"]


def test_repository_is_a_github_address():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPOSITORY)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_badges_point_at_this_notebook_in_this_repository(path):
    first = source(load(path)["cells"][0])
    relative = path.relative_to(ROOT).as_posix()
    colab = (
        f"https://colab.research.google.com/github/{OWNER_NAME}/blob/main/{relative}"
    )
    github = f"{REPOSITORY}/blob/main/{relative}"
    assert f"]({colab})" in first, f"Colab badge should link to {colab}"
    assert f"]({github})" in first, f"GitHub badge should link to {github}"
    # No other repository or notebook anywhere in the notebook.
    text = "".join(source(c) for c in load(path)["cells"])
    for url in re.findall(
        r"https://(?:github\.com|colab[\w./-]*?/github)/[^\s)\"']+", text
    ):
        assert OWNER_NAME in url, f"{url} is not in {REPOSITORY}"
        if "/blob/" in url:
            assert url.endswith(relative), f"{url} does not point at {relative}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_setup_installs_from_the_repository_only_on_colab(path):
    cells = load(path)["cells"]
    installs = [c for c in cells if '"pip"' in source(c) and c["cell_type"] == "code"]
    assert len(installs) == 1, "exactly one install cell"
    text = source(installs[0])
    assert f'"gdl-vae @ git+{REPOSITORY}"' in text
    assert 'if "google.colab" in sys.modules:' in text
    # Everything that installs is inside the Colab branch.
    body = text.split('if "google.colab" in sys.modules:', 1)[1]
    assert all(line.startswith("    ") for line in body.strip("\n").splitlines())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_skeleton(path):
    cells = load(path)["cells"]
    markdown = [source(c) for c in cells if c["cell_type"] == "markdown"]
    assert markdown[0].startswith("# "), "an H1 title first"
    assert "## What you will learn" in markdown[0]
    headings = [
        line
        for text in markdown
        for line in text.splitlines()
        if line.startswith("## ")
    ]
    assert headings[:3] == ["## What you will learn", "## Setup", "## Parameters"]
    numbered = [h for h in headings if re.match(r"## \d+\. ", h)]
    assert [int(h.split()[1][:-1]) for h in numbered] == list(
        range(1, len(numbered) + 1)
    ), "sections numbered 1, 2, 3, ..."
    assert len(numbered) >= 4
    assert headings[-2:] == ["## Summary", "## Exercises"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_the_notebook_is_valid_nbformat_with_cell_ids(path):
    """nbformat 4.5: every cell has an id (unique); a cell added by hand
    without one is refused here rather than warned about by nbval."""
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    ids = [cell.get("id") for cell in load(path)["cells"]]
    assert all(ids) and len(set(ids)) == len(ids)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_parameters_cell_has_quick_mode(path):
    code = [source(c) for c in load(path)["cells"] if c["cell_type"] == "code"]
    parameters = [c for c in code if "QUICK =" in c]
    assert len(parameters) == 1
    assert 'os.environ.get("GDL_VAE_QUICK") == "1"' in parameters[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_committed_outputs_come_from_a_full_clean_run(path):
    cells = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
    counts = [c["execution_count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), "run top to bottom, once"
    parameters = next(c for c in cells if "QUICK =" in source(c))
    assert outputs_text(parameters).startswith("Full run"), "outputs of a full run"
    assert any("image/png" in o.get("data", {}) for c in cells for o in c["outputs"]), (
        "figures are committed"
    )
    for cell in cells:
        for output in cell["outputs"]:
            where = f"cell {source(cell)[:60]!r}"
            assert output["output_type"] != "error", where
            assert output.get("name") != "stderr", f"stderr output in {where}"
        text = outputs_text(cell)
        assert not re.search(r"0x[0-9a-f]{6,}", text), f"memory address in {where}"
        assert "Warning" not in text and "WARNING" not in text, where
        assert "━━━━━━━━━━━━━━━━━━━━ " not in text, f"progress bar in {where}"
        assert "step - " not in text, f"per-batch log in {where}"
        assert not MACHINE_PATH.search(text), f"a machine's path in {where}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_committed_outputs_are_on_the_standard_mnist_split(path):
    text = "".join(outputs_text(c) for c in load(path)["cells"])
    if "MNIST" in text:
        assert "MNIST, 60,000 training and 10,000 test images" in text
    assert "8,000 train" not in text and "offline fallback" not in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_checked_cells_are_deterministic_and_mode_independent(path):
    cells = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
    checked = [c for c in cells if "# NBVAL_CHECK_OUTPUT" in source(c)]
    assert len(checked) >= 2, "several cells have outputs nbval really compares"
    for cell in checked:
        assert outputs_text(cell).strip(), (
            "a checked cell with no output checks nothing"
        )
        # Quick mode must not change what these cells print.
        assert "QUICK" not in source(cell) and "N_TRAIN" not in source(cell)


def test_sanitize_file_removes_timings_and_addresses():
    config = configparser.ConfigParser()
    config.read(ROOT / "notebooks" / "sanitize.cfg")
    text = "loaded in 0.4 s; trained in 12 s at <object at 0x7f3a2c1b9d30>"
    for section in config.sections():
        text = re.sub(config[section]["regex"], config[section]["replace"], text)
    assert text == "loaded in TIME s; trained in TIME s at <object at ADDRESS>"


def test_readme_lists_every_notebook_with_a_colab_badge():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        relative = path.relative_to(ROOT).as_posix()
        colab = f"https://colab.research.google.com/github/{OWNER_NAME}/blob/main/{relative}"
        assert colab in readme, f"README has no Colab badge for {relative}"


MEASURED = "measured"  # the tag of a markdown cell whose numbers were measured
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*\.\d+(?![\d.])|(?<![\w.])\d+(?:\.\d+)?%")


def quoted_numbers(text: str) -> set[str]:
    """Decimals (0.54, 106.23) and percentages (45%) in a text."""
    return set(NUMBER.findall(text))


def test_quoted_numbers_are_found_and_units_of_reasoning_left_alone():
    text = "precision 0.54 against 0.35 (45% of 10,000 digits; 1/19 ≈ 0.053), step 2"
    assert quoted_numbers(text) == {"0.54", "0.35", "45%", "0.053"}
    assert quoted_numbers("v1.2.3 and x0.5") == set()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_measured_prose_quotes_only_numbers_the_run_printed(path):
    """A markdown cell tagged "measured" reports this run: every decimal and
    percentage in it must appear in an output of the committed run, so that
    re-running a notebook without updating its prose fails here."""
    cells = load(path)["cells"]
    printed = "\n".join(outputs_text(c) for c in cells if c["cell_type"] == "code")
    printed_numbers = quoted_numbers(printed)
    missing = {}
    for i, cell in enumerate(cells):
        if MEASURED in cell.get("metadata", {}).get("tags", []):
            assert cell["cell_type"] == "markdown", f"cell {i} is tagged but not prose"
            absent = sorted(quoted_numbers(source(cell)) - printed_numbers)
            if absent:
                missing[i] = absent
    assert not missing, f"prose quotes numbers no output prints: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_every_notebook_tags_the_prose_that_reports_its_verdicts(path):
    cells = load(path)["cells"]
    tagged = [c for c in cells if MEASURED in c.get("metadata", {}).get("tags", [])]
    assert tagged and all(quoted_numbers(source(c)) for c in tagged)
