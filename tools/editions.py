"""The course's student edition, and grading a learner's notebook, with Otter-Grader.

    python tools/editions.py build [NAME ...]     # every notebook unless named
    python tools/editions.py grade SUBMISSION.ipynb [--full]

`build` writes, for each course notebook, into build/editions/:

- student/NAME.ipynb: the notebook as handed out. Each exercise cell holds its
  unanswered stub; the hidden solution cells are gone and the exercises' outputs
  cleared; every other cell keeps its committed output (the figures of a full run).
- instructor/NAME.ipynb: every exercise answered with its solution.
- autograder/NAME.zip: Otter's autograder, one test per exercise: the check of
  `gdl_vae.exercises` that the notebook itself runs, so the grader's message is the
  one the learner saw (a flipped sign, a missing 1/2, no gradient path).

It does so by turning the course notebook into an Otter master notebook (each
exercise one question: its task as the prompt, the exercise cell as the answer
cell, the solution in Otter's solution markers, the check as the test) and
running `otter assign` on it.

`grade` runs `otter run` (Otter's local grader, no container) on a completed
notebook: it executes the notebook top to bottom in quick mode (GDL_VAE_QUICK=1;
--full for the full run), runs every exercise's test, and prints one line per
exercise, passed or the check's message, then the score and every error the run
raised that is not an unanswered exercise. The executed notebook and Otter's
results go to build/editions/graded/.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
OUT = ROOT / "build" / "editions"
CHECK = re.compile(r'exercises\.check\(\s*"([\w.]+)",\s*(\w+)\s*\)')
TITLE = re.compile(r"^# ?@title.*\n")
CONFIG = """# ASSIGNMENT CONFIG
name: {name}
init_cell: false
check_all_cell: false
export_cell: false
run_tests: false
solutions_pdf: false
"""


def question_id(exercise: str) -> str:
    """Otter's name for exercise "02.vae": e02_vae (an identifier)."""
    return "e" + exercise.replace(".", "_")


def exercise_name(question: str) -> str:
    """The inverse of question_id."""
    return question[1:].replace("_", ".", 1)


def is_solution(cell) -> bool:
    return "solution" in cell.get("metadata", {}).get("tags", [])


def exercises_in(nb) -> list[tuple[int, str, str]]:
    """(cell index, exercise, answer's name) for each exercise cell of nb."""
    found = []
    for i, cell in enumerate(nb.cells):
        match = CHECK.search(cell.source) if cell.cell_type == "code" else None
        if match and not is_solution(cell):
            if i + 1 >= len(nb.cells) or not is_solution(nb.cells[i + 1]):
                raise ValueError(f"exercise {match[1]} has no solution cell after it")
            found.append((i, match[1], match[2]))
    return found


def _raw(text: str):
    return nbformat.v4.new_raw_cell(text)


def answer_cell(exercise_cell, solution_cell, exercise: str, answer: str):
    """Otter's answer cell: the solution between solution markers, the stub as
    the prompt (what the student edition keeps), then the check."""
    stub = CHECK.sub("", exercise_cell.source).rstrip()
    solution = CHECK.sub("", TITLE.sub("", solution_cell.source)).rstrip()
    if "'''" in stub:
        raise ValueError(f"the stub of {exercise} holds ''', Otter's prompt quotes")
    # The stub's imports run in both editions: the solution needs them too.
    imports = re.match(r"(?:(?:from \S+ )?import .*\n|\n)*", stub)[0]
    stub = stub[len(imports) :]
    cell = copy.deepcopy(exercise_cell)
    cell.source = (
        f"{imports}# BEGIN SOLUTION NO PROMPT\n{solution}\n# END SOLUTION\n"
        f"''' # BEGIN PROMPT\n{stub}\n''' # END PROMPT\n\n\n"
        f'exercises.check("{exercise}", {answer})'
    )
    cell.outputs, cell.execution_count = [], None
    return cell


def master(nb):
    """The Otter master notebook of course notebook nb."""
    found = {i: (exercise, answer) for i, exercise, answer in exercises_in(nb)}
    cells = [_raw(CONFIG.format(name=nb.metadata.get("gdl_vae_name", "course")))]
    for i, cell in enumerate(nb.cells):
        if is_solution(cell):
            continue
        if i not in found:
            cells.append(copy.deepcopy(cell))
            continue
        exercise, answer = found[i]
        prompt = cells.pop() if cells[-1].cell_type == "markdown" else None
        cells.append(
            _raw(
                f"# BEGIN QUESTION\nname: {question_id(exercise)}\npoints: 1\n"
                "check_cell: false"
            )
        )
        cells += [prompt] if prompt else []
        cells += [
            _raw("# BEGIN SOLUTION"),
            answer_cell(cell, nb.cells[i + 1], exercise, answer),
            _raw("# END SOLUTION"),
            _raw("# BEGIN TESTS"),
            nbformat.v4.new_code_cell(f'exercises.require("{exercise}", {answer})'),
            _raw("# END TESTS"),
            _raw("# END QUESTION"),
        ]
    out = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(nb.metadata))
    out.metadata.setdefault(
        "kernelspec", {"name": "python3", "display_name": "Python 3"}
    )
    out.metadata["kernelspec"]["language"] = "python"
    return out


def keep_outputs(student, course) -> None:
    """Give every student cell that is not an answer the course cell's output."""
    by_source = {
        c.source: c for c in course.cells if c.cell_type == "code" and c.outputs
    }
    for cell in student.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type != "code" or "otter_answer_cell" in tags:
            continue
        if cell.source in by_source:
            cell.outputs = copy.deepcopy(by_source[cell.source].outputs)


def otter() -> str:
    """The otter command beside this Python (the dev extra installs it)."""
    command = Path(sys.executable).with_name("otter")
    if not command.exists():
        raise SystemExit(
            "otter-grader is not installed here: pip install -e '.[dev]' (or "
            "pip install otter-grader)."
        )
    return str(command)


def _answered(path: Path) -> bool:
    """Whether a student edition on disk has an exercise cell that is no longer
    its stub (someone answered it there)."""
    if not path.is_file():
        return False
    nb = nbformat.read(path, as_version=4)
    return any(
        CHECK.search(c.source) and "not yet answered" not in c.source
        for c in nb.cells
        if c.cell_type == "code"
    )


def build(names: list[str], out: Path = OUT) -> list[Path]:
    """Build the student and instructor editions and the autograders of names."""
    paths = [NOTEBOOKS / f"{name}.ipynb" for name in names]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"no such notebook: {', '.join(missing)}")
    answered = [p for p in (out / "student" / q.name for q in paths) if _answered(p)]
    if answered:  # a learner's work: never written over
        raise SystemExit(
            f"{answered[0]} has answers in it: move it elsewhere first (build "
            "rewrites the student editions)."
        )
    for part in ("student", "instructor", "autograder"):
        (out / part).mkdir(parents=True, exist_ok=True)
    built = []
    for path in paths:
        course = nbformat.read(path, as_version=4)
        course.metadata["gdl_vae_name"] = path.stem
        with tempfile.TemporaryDirectory() as work:
            source = Path(work) / path.name
            nbformat.write(master(course), source)
            result = subprocess.run(
                [otter(), "assign", "--no-run-tests", "--no-pdfs", str(source), "dist"],
                cwd=work,
                capture_output=True,
                text=True,
            )
            if result.returncode:
                raise SystemExit(
                    f"otter assign failed on {path.name}:\n{result.stderr}"
                )
            dist = Path(work) / "dist"
            student = nbformat.read(dist / "student" / path.name, as_version=4)
            keep_outputs(student, course)
            student.metadata.pop("gdl_vae_name", None)
            nbformat.write(student, out / "student" / path.name)
            instructor = nbformat.read(dist / "autograder" / path.name, as_version=4)
            instructor.metadata.pop("gdl_vae_name", None)
            nbformat.write(instructor, out / "instructor" / path.name)
            (zipped,) = (dist / "autograder").glob("*.zip")
            shutil.copy(zipped, out / "autograder" / f"{path.stem}.zip")
        built.append(out / "student" / path.name)
        print(f"{path.stem}: student edition, instructor edition and autograder")
    return built


def results(path: Path) -> dict[str, tuple[bool, str]]:
    """{exercise: (passed, message)} from Otter's results.json."""
    found = {}
    for test in json.loads(path.read_text())["tests"]:
        if not test["name"].startswith("e"):
            continue  # Otter's summary of the public tests
        passed = test["score"] == test["max_score"]
        # A failed test's output ends in the check's AssertionError (or whatever
        # the answer raised): its message is the verdict.
        output = test.get("output", "").strip()
        reasons = re.findall(r"(?:Error|Exception)\w*: (.*)", output)
        last = reasons[-1] if reasons else (output.splitlines() or [""])[-1]
        found[exercise_name(test["name"])] = (passed, "passed" if passed else last)
    return found


@dataclass
class Grade:
    """A graded notebook: {exercise: (passed, message)} and the errors its run
    raised, one "Name: message" each."""

    exercises: dict[str, tuple[bool, str]]
    errors: list[str]


def errors(nb) -> list[str]:
    """Every error an executed notebook's cells show, as "Name: message"."""
    return [
        f"{output.ename}: {output.evalue}"
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]


def grade(
    submission: Path,
    autograder: Path | None = None,
    full: bool = False,
    out: Path = OUT,
) -> Grade:
    """Run a completed notebook and its exercises' tests; print one line each."""
    if not submission.is_file() or submission.suffix != ".ipynb":
        raise SystemExit(f"not a notebook: {submission}")
    stem = re.match(r"\d\d_[a-z_]+", submission.stem)
    autograder = autograder or (out / "autograder" / f"{stem and stem[0]}.zip")
    if not autograder.is_file():
        raise SystemExit(
            f"no autograder {autograder}: run `python tools/editions.py build` "
            "first, or name one with --autograder."
        )
    env = dict(os.environ, GDL_VAE_NO_WIDGETS="1")
    env.setdefault("GDL_VAE_DATA_DIR", str(ROOT / "data"))
    if not full:
        env["GDL_VAE_QUICK"] = "1"
    graded = out / "graded"
    with tempfile.TemporaryDirectory() as work:
        # Otter runs the notebook in a folder of its own: give it a copy.
        copied = Path(work) / submission.name
        shutil.copy(submission, copied)
        result = subprocess.run(
            [
                otter(),
                "run",
                "--no-logo",
                "-p",
                "-a",
                str(autograder),
                "-o",
                work,
                str(copied),
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=work,  # -p writes results.pkl here
        )
        report = Path(work) / "results.json"
        if not report.is_file():
            raise SystemExit(f"otter run failed:\n{result.stdout}\n{result.stderr}")
        graded.mkdir(parents=True, exist_ok=True)
        shutil.copy(report, graded / f"{submission.stem}.json")
        found = results(report)
        import dill  # Otter's pickle, an Otter dependency

        with open(Path(work) / "results.pkl", "rb") as file:
            executed = dill.load(file).notebook  # the run, with its outputs
        nbformat.write(executed, graded / submission.name)
    for exercise, (passed, message) in sorted(found.items()):
        print(f"{'PASS' if passed else 'FAIL'} {exercise}: {message}")
    raised = errors(executed)
    others = [error for error in raised if "not yet answered" not in error]
    print(
        f"{submission.name}: {sum(p for p, _ in found.values())} of {len(found)} "
        f"exercises passed; {len(raised)} cells raised an error"
        + (f", {len(others)} of them not an unanswered exercise:" if others else "")
    )
    for error in others:
        print(f"  {error}")
    print(
        f"the run: {graded / submission.name}; Otter's results: {submission.stem}.json"
    )
    return Grade(found, raised)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    making = commands.add_parser("build", help="the student edition and autograders")
    making.add_argument("names", nargs="*", help="notebooks (e.g. 02_variational_...)")
    making.add_argument("--out", type=Path, default=OUT)
    grading = commands.add_parser("grade", help="grade a completed notebook")
    grading.add_argument("submission", type=Path)
    grading.add_argument("--autograder", type=Path, help="default: by the file name")
    grading.add_argument("--full", action="store_true", help="the full run, not quick")
    grading.add_argument("--out", type=Path, default=OUT, help="where graded/ goes")
    args = parser.parse_args(argv)
    if args.command == "build":
        names = args.names or sorted(
            p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")
        )
        build(names, args.out)
    else:
        grade(args.submission, args.autograder, args.full, args.out)


if __name__ == "__main__":
    main()
