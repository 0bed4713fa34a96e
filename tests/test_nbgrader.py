"""The nbgrader chain of every lesson, in a temporary course directory, with scores read from the gradebook.

For each lesson: generate the student copy (it must equal the committed one), then grade it with `make grade`'s
code (tools/grade.py, two submissions at a time): an untouched copy, a complete one, and complete copies with wrong
answers. Those hold, round k, the k-th wrong answer of every exercise that has one: its plausible mistakes first,
then its answers tuned to the visible checks, then the exercise left undone. ``test_visible_checks.py`` tries each
of those answers on its own and checks the messages; here they are graded for real.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from course import (HIDDEN_DELIMITERS, LESSONS, grade_cells, inside, outside, read, release_path,
                    solution_cells, source_path)
from mistakes import MISTAKES, TUNED, Mistake, Tuned, by_exercise
from release import answered, scratch_course

# isort: split
import grade  # tools/grade.py: course.py puts tools/ on sys.path

pytestmark = pytest.mark.slow

UNTOUCHED, COMPLETE = "untouched", "complete"
QUICK_MODE_LINE = "This notebook was graded in quick grading mode"


@dataclass(frozen=True)
class Undone:
    """An exercise handed in as released: its stub, untouched."""

    exercise: str
    stub: str
    what: str = "left undone"

    def apply(self, answer: str) -> str:
        return self.stub


@dataclass
class GradedLesson:
    lesson: str
    root: Path
    exercises: list[str]
    scores: dict[str, dict[str, tuple[float, float]]]  # student -> test cell -> (score, max score)
    rounds: list[list]  # the wrong answers in student wrong(k)'s copy, for each k

    def total(self, student: str) -> tuple[float, float]:
        cells = self.scores[student].values()
        return sum(s for s, _ in cells), sum(m for _, m in cells)


def _rounds(entries: list) -> list[list]:
    """Entries grouped so that no exercise appears twice in a group: group k holds each exercise's k-th entry."""
    per_exercise = by_exercise(entries).values()
    return [[group[k] for group in per_exercise if k < len(group)] for k in range(max(map(len, per_exercise)))]


def _entries(lesson: str, release: nbformat.NotebookNode) -> list:
    """Every wrong answer to grade: the plausible mistakes, the answers tuned to the visible checks, and each
    exercise left undone. Each goes into an otherwise complete submission, one per exercise at a time."""
    undone = [Undone(cell.id, cell.source) for cell in solution_cells(release)]
    return [*MISTAKES[lesson], *TUNED[lesson], *undone]


def _with(lesson: str, release: nbformat.NotebookNode, entries: list) -> nbformat.NotebookNode:
    notebook = answered(lesson, release)
    changed = {entry.exercise: entry for entry in entries}
    for cell in notebook.cells:
        if cell.get("id") in changed:
            cell.source = changed[cell.id].apply(cell.source)
    return notebook


def _submissions(lesson: str, release: nbformat.NotebookNode, rounds: list[list]) -> dict[str, nbformat.NotebookNode]:
    students = {UNTOUCHED: nbformat.from_dict(release), COMPLETE: answered(lesson, release)}
    for k, group in enumerate(rounds):
        students[wrong(k)] = _with(lesson, release, group)
    return students


def wrong(k: int) -> str:
    return f"wrong_{k}"


def _graded_entries(graded: GradedLesson, kind: type):
    """(entry, its test cells' scores) for every graded entry of exactly this kind."""
    for k, group in enumerate(graded.rounds):
        for entry in group:
            if type(entry) is kind:
                scores = graded.scores[wrong(k)]
                yield entry, scores[f"{entry.exercise}_tests"], scores[f"{entry.exercise}_hidden_tests"]


@pytest.fixture(scope="module", params=LESSONS)
def graded(request, tmp_path_factory) -> GradedLesson:
    lesson = request.param
    root = scratch_course(tmp_path_factory.mktemp(f"course_{lesson}"), [lesson])
    release = read(root / "notebooks" / lesson / f"{lesson}.ipynb")
    rounds = _rounds(_entries(lesson, release))
    students = _submissions(lesson, release, rounds)
    for student, notebook in students.items():
        folder = root / "grading" / "submitted" / student / lesson
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{lesson}.ipynb")
    graded = grade.grade(root, [lesson], workers=2)
    assert [s.status for s in graded] == ["graded"] * len(students), grade.summary(graded)
    scores = {}
    with Gradebook(f"sqlite:///{root / 'grading' / 'gradebook.db'}") as gradebook:
        for student in students:
            submission = gradebook.find_submission_notebook(lesson, lesson, student)
            scores[student] = {g.name: (g.auto_score, g.max_score) for g in submission.grades if g.cell_type == "code"}
    return GradedLesson(lesson, root, [c.id for c in solution_cells(release)], scores, rounds)


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


def test_every_exercise_left_undone_scores_zero_on_its_own_test_cells(graded):
    undone = list(_graded_entries(graded, Undone))
    assert sorted(entry.exercise for entry, _, _ in undone) == sorted(graded.exercises)
    for entry, visible, hidden in undone:
        assert visible[0] + hidden[0] == 0, f"leaving {entry.exercise} undone still earns {visible[0] + hidden[0]}"


def test_each_exercise_has_a_visible_and_a_hidden_test_cell_with_points_of_their_own(graded):
    for exercise in graded.exercises:
        visible, hidden = graded.scores[COMPLETE][f"{exercise}_tests"], graded.scores[COMPLETE][f"{exercise}_hidden_tests"]
        assert visible[1] > 0 and hidden[1] > 0, f"{exercise}: points (visible, hidden) are {visible[1]}, {hidden[1]}"


def test_a_plausible_mistake_scores_zero_on_its_exercise(graded):
    mistakes = list(_graded_entries(graded, Mistake))
    assert len(mistakes) == len(MISTAKES[graded.lesson])
    for mistake, visible, hidden in mistakes:
        assert visible[0] + hidden[0] == 0, f"{mistake.exercise}: {mistake.what} still earns {visible[0] + hidden[0]}"


def test_an_answer_tuned_to_the_visible_checks_scores_zero_on_the_hidden_tests(graded):
    tuned = list(_graded_entries(graded, Tuned))
    assert len(tuned) == len(TUNED[graded.lesson])
    for answer, _, (score, top) in tuned:
        assert score == 0 and top > 0, f"{answer.exercise}: {answer.what} earns {score}/{top} on the hidden tests"


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
    first = _feedback_text(graded, wrong(0))  # each exercise's first plausible mistake
    for mistakes in by_exercise(MISTAKES[graded.lesson]).values():
        assert mistakes[0].message in first, (
            f"feedback should say why {mistakes[0].exercise} failed: {mistakes[0].message!r}")


def test_feedback_opens_by_saying_the_notebook_ran_in_quick_grading_mode(graded):
    text = _feedback_text(graded, COMPLETE)
    assert QUICK_MODE_LINE in text
    assert text.index(QUICK_MODE_LINE) < text.index("Exercise 1"), "the note should come before the lesson's cells"
