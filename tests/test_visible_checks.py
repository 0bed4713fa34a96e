"""Visible checks are feedback: every registered wrong answer (``tests/mistakes``) is tried at its exercise.

Each lesson's source notebook runs once, top to bottom, in smoke mode in an in-process IPython shell. At each
exercise the shell's namespace is kept aside and every answer registered for the exercise is tried in its place:
the untouched stub, each plausible mistake, each answer tuned to the visible checks, and the solution. Each try
runs the answer's cell, then the visible check cell, then the hidden test cell, and the namespace is put back.
A test cell that raises is what nbgrader scores 0; the nbgrader chain (``test_nbgrader.py``) grades the same
answers for real.
"""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass
from functools import cache

import matplotlib
import pytest
from IPython.core.interactiveshell import InteractiveShell

from course import LESSONS, SOLUTION_DELIMITERS, grading, outside, read, source_path
from mistakes import MISTAKES, TUNED, by_exercise
from release import answers

pytestmark = pytest.mark.slow

SOLUTION, UNTOUCHED = "solution", "untouched"
NOT_DONE = re.compile(r"^Exercise (\d+) is not done yet: replace the `\.\.\.` in .+\.$")


@dataclass
class Trial:
    answer: BaseException | None   # raised while the answer's cell ran (defining a function should not raise)
    visible: BaseException | None  # raised by the visible check cell
    hidden: BaseException | None   # raised by the hidden test cell


def _failure(result) -> BaseException | None:
    return result.error_before_exec or result.error_in_exec


def _describe(error: BaseException | None) -> str:
    return "passed" if error is None else "".join(traceback.format_exception_only(error)).strip()


def exercise_cells(notebook) -> dict[str, tuple]:
    """Each exercise's (answer cell, visible check cell, hidden test cell), three code cells in a row."""
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    found = {}
    for index, cell in enumerate(cells):
        if grading(cell).get("solution"):
            visible, hidden = cells[index + 1], cells[index + 2]
            assert (visible.id, hidden.id) == (f"{cell.id}_tests", f"{cell.id}_hidden_tests"), (
                f"{cell.id} should be followed by its cells {cell.id}_tests and {cell.id}_hidden_tests")
            found[cell.id] = (cell, visible, hidden)
    return found


@cache
def trials(lesson: str) -> dict[tuple[str, str], Trial]:
    """(exercise, answer key) -> what happened when that answer was tried; keys: SOLUTION, UNTOUCHED,
    ``mistake-<i>`` and ``tuned-<i>`` (indices into the exercise's entries in tests/mistakes)."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shell = InteractiveShell.instance()
    shell.reset(new_session=True)
    shell.showtraceback = lambda *args, **kwargs: None  # failures are recorded, not printed
    notebook = read(source_path(lesson))
    triples = exercise_cells(notebook)
    solved = answers(lesson)

    def run(source: str) -> BaseException | None:
        failure = _failure(shell.run_cell(source, store_history=False))
        plt.close("all")
        return failure

    results: dict[tuple[str, str], Trial] = {}
    here = os.getcwd()
    os.chdir(source_path(lesson).parent)
    try:
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            if cell.id in triples:
                _, visible, hidden = triples[cell.id]
                tries = {UNTOUCHED: "\n".join(outside(cell.source, SOLUTION_DELIMITERS)), SOLUTION: solved[cell.id]}
                for kind, entries in (("mistake", MISTAKES[lesson]), ("tuned", TUNED[lesson])):
                    mine = by_exercise(entries).get(cell.id, [])
                    tries.update({f"{kind}-{i}": entry.apply(solved[cell.id]) for i, entry in enumerate(mine)})
                kept = dict(shell.user_ns)
                for key, source in tries.items():
                    results[cell.id, key] = Trial(run(source), run(visible.source), run(hidden.source))
                    shell.user_ns.clear()
                    shell.user_ns.update(kept)
            failure = run(cell.source)
            assert failure is None, f"{lesson}: cell {cell.id} failed: {_describe(failure)}"
    finally:
        os.chdir(here)
    return results


def _cases(kind: str) -> list:
    entries = MISTAKES if kind == "mistake" else TUNED
    return [pytest.param(lesson, entry, f"{kind}-{index}", id=f"{lesson}-{exercise}-{index}")
            for lesson in LESSONS for exercise, group in by_exercise(entries[lesson]).items()
            for index, entry in enumerate(group)]


def _exercises() -> list:
    return [pytest.param(lesson, exercise, id=f"{lesson}-{exercise}")
            for lesson in LESSONS for exercise in exercise_cells(read(source_path(lesson)))]


@pytest.mark.parametrize("lesson, exercise", _exercises())
def test_every_exercise_has_three_plausible_mistakes_with_their_own_messages_and_a_tuned_answer(lesson, exercise):
    mistakes = by_exercise(MISTAKES[lesson]).get(exercise, [])
    assert len(mistakes) >= 3, f"{exercise} has {len(mistakes)} plausible mistakes in tests/mistakes; at least 3"
    messages = [m.message for m in mistakes]
    assert all(len(m) >= 12 for m in messages), f"{exercise}: give every mistake the message its check shows"
    assert len(set(messages)) == len(messages), f"{exercise}: each mistake needs a message of its own"
    assert by_exercise(TUNED[lesson]).get(exercise), f"{exercise} has no answer tuned to its visible checks"


@pytest.mark.parametrize("lesson, exercise", _exercises())
def test_the_solution_passes_every_check(lesson, exercise):
    trial = trials(lesson)[exercise, SOLUTION]
    assert (trial.answer, trial.visible, trial.hidden) == (None, None, None), (
        f"visible: {_describe(trial.visible)}; hidden: {_describe(trial.hidden)}")


@pytest.mark.parametrize("lesson, exercise", _exercises())
def test_an_untouched_exercise_says_it_is_not_done_yet(lesson, exercise):
    trial = trials(lesson)[exercise, UNTOUCHED]
    number = re.match(r"ex(\d+)_", exercise).group(1)
    assert trial.answer is None, f"the stub cell itself fails: {_describe(trial.answer)}"
    match = NOT_DONE.match(str(trial.visible))
    assert match and match.group(1) == number, f"the visible check of an untouched stub says: {_describe(trial.visible)}"
    assert trial.hidden is not None, "the hidden tests pass on an untouched stub"


@pytest.mark.parametrize("lesson, mistake, key", _cases("mistake"))
def test_a_plausible_mistake_fails_the_visible_check_with_its_own_message(lesson, mistake, key):
    trial = trials(lesson)[mistake.exercise, key]
    assert trial.answer is None, f"{mistake.what}: the answer's own cell fails: {_describe(trial.answer)}"
    assert isinstance(trial.visible, AssertionError), (
        f"{mistake.what}: the visible check should fail with a message; it {_describe(trial.visible)}")
    assert mistake.message in str(trial.visible), (
        f"{mistake.what}: the visible check should say {mistake.message!r}; it says {str(trial.visible)!r}")
    assert not NOT_DONE.match(str(trial.visible)), f"{mistake.what}: an answered exercise is not 'not done'"
    assert trial.hidden is not None, f"{mistake.what}: the hidden tests pass it, so it would not score 0"


@pytest.mark.parametrize("lesson, tuned, key", _cases("tuned"))
def test_an_answer_tuned_to_the_visible_checks_passes_them_and_fails_the_hidden_tests(lesson, tuned, key):
    trial = trials(lesson)[tuned.exercise, key]
    assert trial.answer is None, f"{tuned.what}: the answer's own cell fails: {_describe(trial.answer)}"
    assert trial.visible is None, f"{tuned.what}: should pass the visible checks; {_describe(trial.visible)}"
    assert trial.hidden is not None, f"{tuned.what}: passes the hidden tests too, so they do not stop it"
