"""The nbgrader chain of every lesson, in a temporary course directory, with scores read from the gradebook.

For each lesson: generate the student copy (it must equal the committed one), then autograde, in one run,
submissions that are untouched, complete, complete but for one exercise (one per exercise), and complete but with
one plausible mistake per exercise.
"""

from __future__ import annotations

import html
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from course import (HIDDEN_DELIMITERS, LESSONS, ROOT, grade_cells, inside, outside, read, release_path,
                    solution_cells, source_path)
from mistakes import MISTAKES
from release import answered, answers
from release import nbgrader as run_nbgrader

pytestmark = pytest.mark.slow

UNTOUCHED, COMPLETE, MISTAKEN = "untouched", "complete", "mistaken"


def nbgrader(*args: str, cwd: Path) -> str:
    done = run_nbgrader(*args, cwd=cwd, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stderr


def stubbed(exercise: str) -> str:
    return f"without_{exercise}"


@dataclass
class GradedLesson:
    lesson: str
    root: Path
    exercises: list[str]
    scores: dict[str, dict[str, tuple[float, float]]]  # student -> test cell -> (score, max score)

    def total(self, student: str) -> tuple[float, float]:
        cells = self.scores[student].values()
        return sum(s for s, _ in cells), sum(m for _, m in cells)


def _submissions(lesson: str, release: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    students = {UNTOUCHED: nbformat.from_dict(release), COMPLETE: answered(lesson, release)}
    students.update({stubbed(exercise): answered(lesson, release, skip=exercise) for exercise in answers(lesson)})
    if lesson in MISTAKES:
        mistaken = students[MISTAKEN] = answered(lesson, release)
        for cell in mistaken.cells:
            if cell.id in MISTAKES[lesson]:
                _, find, replace = MISTAKES[lesson][cell.id]
                assert find in cell.source, f"mistake for {cell.id} does not apply: {find!r} not found"
                cell.source = cell.source.replace(find, replace)
    return students


@pytest.fixture(scope="module", params=LESSONS)
def graded(request, tmp_path_factory) -> GradedLesson:
    lesson = request.param
    root = tmp_path_factory.mktemp(f"course_{lesson}")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "solutions" / lesson, root / "solutions" / lesson)
    (root / "grading").mkdir()
    nbgrader("generate_assignment", lesson, cwd=root)
    release = read(root / "notebooks" / lesson / f"{lesson}.ipynb")
    students = _submissions(lesson, release)
    for student, notebook in students.items():
        folder = root / "grading" / "submitted" / student / lesson
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{lesson}.ipynb")
    nbgrader("autograde", lesson, cwd=root)
    nbgrader("generate_feedback", lesson, cwd=root)
    scores = {}
    with Gradebook(f"sqlite:///{root / 'grading' / 'gradebook.db'}") as gradebook:
        for student in students:
            submission = gradebook.find_submission_notebook(lesson, lesson, student)
            scores[student] = {g.name: (g.auto_score, g.max_score) for g in submission.grades if g.cell_type == "code"}
    return GradedLesson(lesson, root, [c.id for c in solution_cells(release)], scores)


def test_the_committed_student_copy_is_what_nbgrader_generates(graded):
    generated = graded.root / "notebooks" / graded.lesson
    committed = release_path(graded.lesson).parent
    assert sorted(p.name for p in generated.iterdir()) == sorted(p.name for p in committed.iterdir())
    for path in generated.iterdir():
        assert path.read_bytes() == (committed / path.name).read_bytes(), (
            f"notebooks/{graded.lesson}/{path.name} is out of date: run `make release`")


def test_the_untouched_student_copy_scores_zero_on_every_test_cell(graded):
    scores = graded.scores[UNTOUCHED]
    assert scores, "no autograded test cells were recorded"
    assert {cell: score for cell, (score, _) in scores.items() if score != 0} == {}


def test_the_solution_scores_full_marks(graded):
    scores = graded.scores[COMPLETE]
    assert {cell: (score, top) for cell, (score, top) in scores.items() if score != top} == {}
    assert graded.total(COMPLETE)[1] > 0


def test_every_exercise_is_really_tested(graded):
    _, full = graded.total(COMPLETE)
    for exercise in graded.exercises:
        got, _ = graded.total(stubbed(exercise))
        assert got < full, f"leaving {exercise} undone still scores full marks ({got}/{full})"


def test_hidden_tests_catch_plausible_mistakes(graded):
    mistakes = MISTAKES.get(graded.lesson)
    if mistakes is None:
        pytest.fail(f"tests/mistakes.py has no plausible mistakes for {graded.lesson}")
    scores = graded.scores[MISTAKEN]
    autograded = read(graded.root / "grading" / "autograded" / MISTAKEN / graded.lesson / f"{graded.lesson}.ipynb")
    outputs = {cell.id: cell.outputs for cell in autograded.cells if cell.cell_type == "code"}
    for exercise, (what, _, _) in mistakes.items():
        score, top = scores[f"{exercise}_tests"]
        assert score == 0, f"{exercise}: {what} still earns {score}/{top}"
        kinds = [(o.output_type, o.get("name")) for o in outputs[f"{exercise}_tests"]]
        assert kinds[0] == ("stream", "stdout") and kinds[-1] == ("error", None), (
            f"{exercise}: {what} should pass the visible checks (which print a message) and fail a hidden one; "
            f"got outputs {kinds}")


def test_autograding_restores_hidden_tests_that_students_never_saw(graded):
    autograded = read(graded.root / "grading" / "autograded" / COMPLETE / graded.lesson / f"{graded.lesson}.ipynb")
    assert any("### BEGIN HIDDEN TESTS" in cell.source for cell in autograded.cells)
    submitted = read(graded.root / "grading" / "submitted" / COMPLETE / graded.lesson / f"{graded.lesson}.ipynb")
    assert not any("### BEGIN HIDDEN TESTS" in cell.source for cell in submitted.cells)


def _feedback_text(graded: GradedLesson, student: str) -> str:
    """The feedback page as a reader sees it: tags removed, entities decoded."""
    page = (graded.root / "grading" / "feedback" / student / graded.lesson / f"{graded.lesson}.html").read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_feedback_reports_failures_but_never_shows_hidden_test_code(graded):
    source = read(source_path(graded.lesson))
    visible = {line.strip() for cell in source.cells for line in outside(cell.source, HIDDEN_DELIMITERS)}
    hidden = {line.strip() for cell in grade_cells(source) for line in inside(cell.source, HIDDEN_DELIMITERS)}
    code_lines = {line for line in hidden - visible if len(line) >= 20 and "(" in line and not line.startswith("#")}
    assert code_lines, "the hidden tests should have lines of their own to look for"
    for student in graded.scores:
        text = _feedback_text(graded, student)
        assert "HIDDEN TESTS" not in text
        shown = sorted(line for line in code_lines if line in text)
        assert not shown, f"{student}'s feedback shows hidden test code: {shown[:2]}"
    mistaken = _feedback_text(graded, MISTAKEN)
    assert mistaken.count("AssertionError") >= len(MISTAKES.get(graded.lesson, {})), (
        "feedback should still say which checks failed, and why")
