"""The student edition, the instructor edition and grading (tools/editions.py,
Otter-Grader): built from every notebook, and graded on notebook 02, where the
learner writes the sampling layer and the VAE."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHECK = re.compile(r'exercises\.check\(\s*"([\w.]+)",\s*(\w+)\s*\)')

pytestmark = pytest.mark.skipif(
    not Path(sys.executable).with_name("otter").exists(),
    reason="otter-grader is not installed (the teach extra)",
)


def _editions():
    spec = importlib.util.spec_from_file_location(
        "editions", ROOT / "tools/editions.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["editions"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


editions = _editions()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("editions")
    editions.build([p.stem for p in NOTEBOOKS], out)
    return out


def _exercises(nb) -> list[str]:
    return [e for _, e, _ in editions.exercises_in(nb)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_student_edition_is_the_course_less_its_solutions(built, path):
    course = nbformat.read(path, as_version=4)
    student = nbformat.read(built / "student" / path.name, as_version=4)
    instructor = nbformat.read(built / "instructor" / path.name, as_version=4)
    names = _exercises(course)
    assert names, f"{path.name} has no exercises"
    solutions = [c for c in course.cells if editions.is_solution(c)]
    assert len(solutions) == len(names)
    # Every cell but the solutions, in order, with the same source.
    kept = [c.source for c in course.cells if not editions.is_solution(c)]
    assert [c.source for c in student.cells] == kept
    text = "\n".join(c.source for c in student.cells)
    for solution in solutions:
        body = editions.TITLE.sub("", solution.source).strip().splitlines()
        unique = [line for line in body if line.strip() and line not in text]
        assert unique, f"a solution of {path.name} is still in the student edition"
    for cell in student.cells:
        if cell.cell_type != "code":
            continue
        course_cell = next(c for c in course.cells if c.source == cell.source)
        if CHECK.search(cell.source):  # an exercise: unanswered, output cleared
            assert "not yet answered" in cell.source and not cell.outputs
            assert cell.metadata.get("editable", True), "the learner edits it"
        else:  # everything else keeps the committed full run's output
            assert cell.outputs == course_cell.outputs
    # The instructor edition answers every exercise with its solution.
    answers = [c for c in instructor.cells if CHECK.search(c.source)]
    assert len(answers) == len(names)
    for answer, solution in zip(answers, solutions, strict=True):
        body = CHECK.sub("", editions.TITLE.sub("", solution.source)).strip()
        assert body in answer.source
    # The autograder has one test per exercise, which runs its check.
    with zipfile.ZipFile(built / "autograder" / f"{path.stem}.zip") as zipped:
        tests = {
            Path(n).stem: zipped.read(n).decode()
            for n in zipped.namelist()
            if n.startswith("tests/")
        }
    assert sorted(tests) == sorted(editions.question_id(n) for n in names)
    for name in names:
        quoted = f"[\"']{re.escape(name)}[\"']"
        assert re.search(
            rf"exercises\.require\({quoted}", tests[editions.question_id(name)]
        )


NOTEBOOK = "02_variational_autoencoder"  # where the learner writes the VAE
NAMES = ["02.sampling", "02.vae", "02.kl_to_prior", "02.negative_elbo"]


def _grade(built: Path, nb, tmp_path: Path):
    submission = tmp_path / f"{NOTEBOOK}.ipynb"
    nbformat.write(nb, submission)
    return editions.grade(
        submission, built / "autograder" / f"{NOTEBOOK}.zip", out=tmp_path
    )


def test_grading_a_student_edition_with_one_wrong_answer(built, tmp_path, capsys):
    """It runs top to bottom: the unanswered exercises fail as not yet answered,
    and where the unanswered VAE is trained and evaluated the cells raise that
    and nothing else; the wrong answer fails with its check's message."""
    student = nbformat.read(built / "student" / f"{NOTEBOOK}.ipynb", as_version=4)
    instructor = nbformat.read(built / "instructor" / f"{NOTEBOOK}.ipynb", as_version=4)

    def cell(nb, name):
        return next(c for c in nb.cells if f'check("{name}"' in c.source)

    # The learner's KL: the 1/2 forgotten.
    answer = cell(instructor, "02.kl_to_prior").source
    assert "0.5 * np.sum(" in answer
    cell(student, "02.kl_to_prior").source = answer.replace("0.5 * np.sum(", "np.sum(")
    grade = _grade(built, student, tmp_path)
    assert sorted(grade.exercises) == sorted(NAMES)
    passed, message = grade.exercises.pop("02.kl_to_prior")
    assert not passed and "the 1/2 is missing" in message, message
    for exercise, (passed, message) in grade.exercises.items():
        assert not passed and f"{exercise}: not yet answered" in message, message
    assert grade.errors, "the unanswered VAE is trained: that cell says so"
    assert all("not yet answered" in error for error in grade.errors), grade.errors
    printed = capsys.readouterr().out
    assert "FAIL 02.kl_to_prior" in printed and "0 of 4 exercises passed" in printed
    report = json.loads((tmp_path / "graded" / f"{NOTEBOOK}.json").read_text())
    assert {t["name"] for t in report["tests"]} >= {
        editions.question_id(n) for n in NAMES
    }
    executed = nbformat.read(tmp_path / "graded" / f"{NOTEBOOK}.ipynb", as_version=4)
    assert editions.errors(executed) == grade.errors


def test_grading_the_instructor_edition_passes_every_exercise(built, tmp_path):
    instructor = nbformat.read(built / "instructor" / f"{NOTEBOOK}.ipynb", as_version=4)
    grade = _grade(built, instructor, tmp_path)
    assert sorted(grade.exercises) == sorted(NAMES)
    assert all(passed for passed, _ in grade.exercises.values()), grade.exercises
    assert grade.errors == []


def test_a_student_edition_with_answers_is_never_written_over(built, tmp_path):
    out = tmp_path / "editions"
    (out / "student").mkdir(parents=True)
    answered = out / "student" / f"{NOTEBOOK}.ipynb"
    student = nbformat.read(built / "student" / answered.name, as_version=4)
    cell = next(c for c in student.cells if 'check("02.kl_to_prior"' in c.source)
    cell.source = cell.source.replace(
        'raise NotImplementedError("02.kl_to_prior: not yet answered")',
        "return 0.5 * np.sum(mean**2 + np.exp(log_var) - 1 - log_var, axis=1)",
    )
    nbformat.write(student, answered)
    before = answered.read_bytes()
    with pytest.raises(SystemExit, match="has answers in it: move it elsewhere"):
        editions.build([NOTEBOOK], out)
    assert answered.read_bytes() == before
    assert sorted(p.name for p in out.rglob("*")) == sorted(["student", answered.name])


def test_bad_input_is_refused_in_one_line(tmp_path):
    with pytest.raises(SystemExit, match=r"no such notebook: 99_nothing\.ipynb"):
        editions.build(["99_nothing"], tmp_path)
    with pytest.raises(SystemExit, match="not a notebook"):
        editions.grade(tmp_path / "missing.ipynb")
    assert not any(tmp_path.iterdir()), "nothing written"
