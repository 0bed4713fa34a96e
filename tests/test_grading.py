"""`make grade` (tools/grade.py) on generated submissions, broken and hostile ones among them.

One batch grades lesson 01's submissions in a temporary course with 2 workers and a short cell timeout; the tests
read its scores from the gradebook, its notes, its feedback and its CSV. The pure pieces are tested on their own.
"""

from __future__ import annotations

import csv
import html
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from course import (HIDDEN_DELIMITERS, ROOT, grade_cells, inside, outside, read, source_path)
from mistakes import MISTAKES
from release import answered, scratch_course

# isort: split
import grade  # tools/grade.py: course.py puts tools/ on sys.path
import sandbox  # tools/sandbox.py

LESSON = "01_autoencoder"
TIMEOUT = 30  # seconds per cell: a smoke-mode training cell takes a few, even with two workers on two cores
EARLIER = "earlier"  # a student graded before the batch, with a manual score


def _edit(notebook: nbformat.NotebookNode, cell_id: str, change) -> nbformat.NotebookNode:
    notebook = nbformat.from_dict(notebook)
    cell = next(c for c in notebook.cells if c.get("id") == cell_id)
    change(cell)
    return notebook


def _append(cell_id: str, code: str):
    return lambda notebook: _edit(notebook, cell_id, lambda cell: setattr(cell, "source", cell.source + "\n" + code))


def _colab(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """As Colab saves it: nbformat 4.0 without cell ids, Colab's notebook and cell metadata, outputs kept."""
    saved = nbformat.from_dict(notebook)
    saved.nbformat_minor = 0
    saved.metadata = {"colab": {"provenance": [], "name": f"{LESSON}.ipynb"}, "accelerator": "GPU",
                      "kernelspec": {"name": "python3", "display_name": "Python 3"},
                      "language_info": {"name": "python"}}
    for number, cell in enumerate(saved.cells):
        del cell["id"]
        cell.metadata["id"] = f"colab{number}"
        if cell.cell_type == "code":
            cell.metadata["colab"] = {"base_uri": "https://localhost:8080/"}
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="run on Colab\n")]
    return saved


def _stripped(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    stripped = nbformat.from_dict(notebook)
    for cell in stripped.cells:
        cell.metadata = {}
    return stripped


def _mistaken(exercise: str):
    """The exercise answered with its first plausible mistake from tests/mistakes."""
    mistake = next(m for m in MISTAKES[LESSON] if m.exercise == exercise)
    return lambda notebook: _edit(notebook, exercise, lambda cell: setattr(cell, "source", mistake.apply(cell.source)))


def _zero(*exercises: str) -> dict[str, float]:
    """Expected scores when ``exercises`` earn nothing: both their visible and their hidden test cells."""
    return {f"{exercise}{part}": 0 for exercise in exercises for part in ("_tests", "_hidden_tests")}


ALWAYS_TRUE = """
import math
import torch
from helpers import checks
checks.check_close = lambda *args, **kwargs: None
torch.allclose = lambda *args, **kwargs: True
torch.Tensor.allclose = lambda self, *args, **kwargs: True
math.isclose = lambda *args, **kwargs: True
"""

REBINDS = """
class Lenient:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None


checks = Lenient()
"""

HOSTILE = """
import pathlib, shutil, helpers
print("helpers imported from", helpers.__file__)
course = pathlib.Path({course!r})
for victim in [course / "nbgrader_config.py", course / "grading" / "gradebook.db",
               *course.glob("grading/submitted/*/*/*.ipynb")]:
    victim.write_text("rewritten by a submission")
shutil.rmtree(course / "grading" / "submitted" / "complete", ignore_errors=True)
for up in ("..", "../..", "../../..", "../../../.."):
    config = pathlib.Path(up) / "nbgrader_config.py"
    if config.exists():
        config.write_text("rewritten by a submission")
(pathlib.Path.home() / "left-by-a-submission").write_text("x")
"""


@dataclass
class Case:
    scores: dict[str, float]  # test cell -> expected score (points of the others: full)
    status: str
    note: str = ""


# student -> (how the submission is made from a complete one, what grading must find)
CASES = {
    "complete": (lambda nb: nb, Case({}, "graded")),
    "raises": (lambda nb: _edit(nb, "ex2_train_step", lambda cell: setattr(
        cell, "source", 'raise ValueError("a bug in the answer")\n' + cell.source)),
               Case(_zero("ex2_train_step"), "graded")),
    # the first call never returns (the visible check's), later ones do (the hidden tests')
    "loops": (lambda nb: _edit(nb, "ex3_reconstruction_error", lambda cell: setattr(cell, "source", "stuck = [True]\n" + (
        cell.source.replace("    was_training = model.training\n", "    if stuck:\n        stuck.clear()\n"
                            "        while True:\n            pass\n    was_training = model.training\n")))),
        Case({"ex3_reconstruction_error_tests": 0}, "graded", "stopped by the timeout: ex3_reconstruction_error_tests")),
    "dies": (_append("ex4_pca_reconstruct", "import os\nos._exit(1)"),
             Case(_zero("ex4_pca_reconstruct"), "graded", "kernel died in ex4_pca_reconstruct")),
    "edits_tests": (None, Case(_zero("ex4_pca_reconstruct"), "graded", "locked cell edited, restored: "
                                                                        "ex2_train_step_tests, ex4_pca_reconstruct_tests")),
    "deletes_tests": (None, Case(_zero("ex2_train_step"), "graded", "test cell missing, re-added and graded: "
                                                                     "ex2_train_step_tests, ex3_reconstruction_error_tests")),
    "colab": (_colab, Case({}, "graded")),
    "stripped": (_stripped, Case({}, "needs manual grading", "nbgrader metadata missing")),
    "not_json": (None, Case({}, "needs manual grading", "invalid file")),
    "always_true": (lambda nb: _append("ex2_train_step", ALWAYS_TRUE)(_mistaken("ex2_train_step")(nb)),
                    Case(_zero("ex2_train_step"), "graded")),
    "rebinds": (lambda nb: _append("ex4_pca_reconstruct", REBINDS)(_mistaken("ex4_pca_reconstruct")(nb)),
                Case(_zero("ex4_pca_reconstruct"), "graded")),
    "hostile": (None, Case({}, "graded")),
    "leaks": (lambda nb: _edit(nb, "ex3_reconstruction_error", lambda cell: setattr(cell, "source", cell.source.replace(
        "    was_training = model.training\n",
        "    print(''.join(__import__('traceback').format_stack()))  # the test that calls it\n"
        "    was_training = model.training\n"))), Case({}, "graded")),
}


def _edits_tests(release, complete):
    notebook = _edit(complete, "ex4_pca_reconstruct", lambda cell: setattr(cell, "source", next(
        c.source for c in release.cells if c.get("id") == "ex4_pca_reconstruct")))   # exercise 4 left undone
    notebook = _edit(notebook, "ex4_pca_reconstruct_tests", lambda cell: setattr(cell, "source", ""))
    notebook = _edit(notebook, "ex2_train_step_tests", lambda cell: setattr(cell, "source", 'print("all good")'))
    return _edit(notebook, "ex3_reconstruction_error_tests", lambda cell: cell.metadata.nbgrader.update(points=100))


def _deletes_tests(release, complete):
    notebook = _edit(complete, "ex2_train_step", lambda cell: setattr(cell, "source", next(
        c.source for c in release.cells if c.get("id") == "ex2_train_step")))   # exercise 2 left undone
    notebook.cells = [c for c in notebook.cells if c.id not in ("ex2_train_step_tests", "ex3_reconstruction_error_tests")]
    return notebook


@dataclass
class Batch:
    root: Path
    results: dict[str, grade.Submission]
    scores: dict[str, dict[str, tuple[float | None, float]]]  # student -> test cell -> (score, max score)
    earlier_manual_score: float | None
    protected: dict[Path, bytes]


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Batch:
    root = scratch_course(tmp_path_factory.mktemp("graded_course"), [LESSON])
    release = read(root / "notebooks" / LESSON / f"{LESSON}.ipynb")
    complete = answered(LESSON, release)
    made = {"edits_tests": _edits_tests(release, complete), "deletes_tests": _deletes_tests(release, complete),
            "hostile": _append("ex1_autoencoder", HOSTILE.format(course=str(root)))(complete)}
    for student, (make, _) in CASES.items():
        folder = root / "grading" / "submitted" / student / LESSON
        folder.mkdir(parents=True)
        if student == "not_json":
            (folder / f"{LESSON}.ipynb").write_text('{"cells": [ this is not JSON')
        else:
            nbformat.write(made[student] if make is None else make(complete), folder / f"{LESSON}.ipynb")
    db_url = f"sqlite:///{root / 'grading' / 'gradebook.db'}"
    with Gradebook(db_url) as gradebook, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own use of SQLAlchemy warns, harmlessly
        gradebook.add_student(EARLIER)
        gradebook.add_submission(LESSON, EARLIER)
        gradebook.find_grade("ex1_autoencoder_tests", LESSON, LESSON, EARLIER).manual_score = 0.5
        gradebook.db.commit()
    protected = grade.snapshot([root / "nbgrader_config.py", *(root / "grading" / "submitted").rglob("*.ipynb")])
    submissions = grade.grade(root, [LESSON], workers=2, timeout=TIMEOUT)
    scores = {}
    with Gradebook(db_url) as gradebook:
        for student in [*CASES, EARLIER]:
            notebook = gradebook.find_submission_notebook(LESSON, LESSON, student)
            scores[student] = {g.name: (g.auto_score, g.max_score) for g in notebook.grades}
        earlier = gradebook.find_grade("ex1_autoencoder_tests", LESSON, LESSON, EARLIER).manual_score
    return Batch(root, {s.student: s for s in submissions}, scores, earlier, protected)


def _notes(batch: Batch, student: str) -> str:
    return "; ".join(batch.results[student].notes)


@pytest.mark.slow
@pytest.mark.parametrize("student", [s for s, (_, case) in CASES.items() if case.status == "graded"])
def test_each_graded_submission_gets_the_scores_it_earned(batch, student):
    case = CASES[student][1]
    result = batch.results[student]
    assert result.status == "graded", f"{student}: {result.status}; {_notes(batch, student)}"
    got = {cell: score for cell, (score, _) in batch.scores[student].items()}
    want = {cell: case.scores.get(cell, top) for cell, (_, top) in batch.scores[student].items()}
    assert got == want, f"{student}: notes {_notes(batch, student)!r}"
    assert sum(top for _, top in batch.scores[student].values()) == 8, "changed points must be restored"
    assert case.note in _notes(batch, student)


@pytest.mark.slow
@pytest.mark.parametrize("student", [s for s, (_, case) in CASES.items() if case.status != "graded"])
def test_files_that_cannot_be_graded_are_reported_and_left_for_manual_grading(batch, student):
    case = CASES[student][1]
    result = batch.results[student]
    assert result.status == case.status and case.note in _notes(batch, student)
    assert all(score is None for score, _ in batch.scores[student].values()), "no automatic score, not even 0"
    with Gradebook(f"sqlite:///{batch.root / 'grading' / 'gradebook.db'}") as gradebook:
        assert gradebook.find_submission_notebook(LESSON, LESSON, student).needs_manual_grade


@pytest.mark.slow
def test_the_summary_names_every_submission_and_what_happened(batch):
    text = grade.summary(list(batch.results.values()))
    for student, (_, case) in CASES.items():
        line = next(line for line in text.splitlines() if line.startswith(student + " "))
        assert case.status in line and case.note in line
    assert f"{sum(c.status == 'graded' for _, c in CASES.values())} of {len(CASES)} submissions graded" in text


@pytest.mark.slow
def test_earlier_gradebook_rows_and_the_course_files_survive_a_hostile_submission(batch):
    assert batch.earlier_manual_score == 0.5
    for path, data in batch.protected.items():
        assert path.read_bytes() == data, f"{path} was not restored"
    assert list((batch.root / "grading" / "backups").glob("gradebook-*.db")), "the gradebook is backed up first"
    hostile = read(batch.root / "grading" / "autograded" / "hostile" / LESSON / f"{LESSON}.ipynb")
    printed = "".join(o.get("text", "") for c in hostile.cells for o in c.get("outputs", []))
    imported = Path(re.search(r"helpers imported from (\S+)", printed).group(1))
    assert ROOT not in imported.parents and batch.root not in imported.parents, (
        "the kernel must not find the course through helpers.__file__")
    assert not (Path.home() / "left-by-a-submission").exists()


@pytest.mark.slow
def test_feedback_and_grades_csv_cover_the_batch_without_hidden_tests(batch):
    source = read(source_path(LESSON))
    visible = {line.strip() for cell in source.cells for line in outside(cell.source, HIDDEN_DELIMITERS)}
    hidden = {line.strip() for cell in grade_cells(source) for line in inside(cell.source, HIDDEN_DELIMITERS)}
    code_lines = {line for line in hidden - visible if len(line) >= 20 and "(" in line and not line.startswith("#")}
    assert code_lines
    leaked = read(batch.root / "grading" / "autograded" / "leaks" / LESSON / f"{LESSON}.ipynb")
    printed = "".join(o.get("text", "") for c in leaked.cells for o in c.get("outputs", []))
    assert [line for line in code_lines if line in printed], "an answer can print the test that calls it"
    graded = [s for s, (_, case) in CASES.items() if case.status == "graded"]
    for student in graded:
        page = (batch.root / "grading" / "feedback" / student / LESSON / f"{LESSON}.html").read_text()
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        assert "HIDDEN TESTS" not in text
        assert not [line for line in code_lines if line in text], f"{student}'s feedback shows hidden test code"
    with open(batch.root / "grading" / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {*CASES, EARLIER}
    assert float(rows["complete"]["score"]) == 8 and float(rows["raises"]["score"]) == 6


def _notebook(cells: list[tuple[str, str, dict]]) -> bytes:
    notebook = nbformat.v4.new_notebook()
    for grade_id, source, extra in cells:
        meta = {"grade_id": grade_id, "locked": extra.get("locked", False), "grade": "points" in extra,
                "solution": not extra.get("locked", False), "schema_version": 3, "task": False}
        if "points" in extra:
            meta["points"] = extra["points"]
        notebook.cells.append(nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta}))
    return nbformat.writes(notebook).encode()


def _expected(folder: Path) -> grade.Expected:
    path = folder / "released.ipynb"
    path.write_bytes(_notebook([("ex1", "x = ...", {}), ("ex1_tests", "assert x == 1", {"locked": True, "points": 2})]))
    return grade.expected_cells(path)


def test_inspect_reports_each_kind_of_damage(tmp_path):
    expected = _expected(tmp_path)
    assert expected.points == {"ex1_tests": 2.0} and expected.sources == {"ex1_tests": "assert x == 1"}
    good = _notebook([("ex1", "x = 1", {}), ("ex1_tests", "assert x == 1", {"locked": True, "points": 2})])
    assert grade.inspect(good, expected)[1] == []
    assert grade.inspect(b"\x89PNG", expected) == (None, ["invalid file, not graded: not a notebook (UnicodeDecodeError)"])
    assert grade.inspect(b"{}", expected)[0] is None
    stripped = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])).encode()
    assert grade.inspect(stripped, expected) == (None, ["nbgrader metadata missing, not graded: grade by hand"])
    missing = _notebook([("ex1", "x = 1", {})])
    assert grade.inspect(missing, expected)[1] == ["test cell missing, re-added and graded: ex1_tests"]
    edited = _notebook([("ex1", "x = 1", {}), ("ex1_tests", "pass", {"locked": True, "points": 5})])
    assert grade.inspect(edited, expected)[1] == ["locked cell edited, restored: ex1_tests",
                                                  "points changed, restored: ex1_tests"]


def test_restore_puts_back_changed_and_deleted_files_only(tmp_path):
    kept, changed, deleted = (tmp_path / name for name in ("kept", "changed", "deleted"))
    for path in (kept, changed, deleted):
        path.write_text(path.name)
    saved = grade.snapshot([kept, changed, deleted, tmp_path / "absent"])
    changed.write_text("tampered")
    deleted.unlink()
    assert sorted(grade.restore(saved)) == sorted([changed, deleted])
    assert [p.read_text() for p in (kept, changed, deleted)] == ["kept", "changed", "deleted"]


def test_outcome_notes_name_timeouts_and_a_dead_kernel():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("while True: pass"),
                                               nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade_id": "t"}})])
    notebook.cells[0].outputs = [nbformat.v4.new_output("error", ename="CellTimeoutError", evalue="", traceback=[])]
    notebook.cells[1].outputs = [nbformat.v4.new_output("error", ename="DeadKernelError", evalue="", traceback=[])]
    assert grade.outcome_notes(notebook) == ["stopped by the timeout: cell 0", "kernel died in t; later test cells score 0"]


def test_the_worker_environment_is_quiet_smoke_mode_in_scratch_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "not for submissions")
    env = sandbox._environment(tmp_path, {"data": "/data", "threads": 1})
    assert env["HOME"] == str(tmp_path / "home") and env["PYTHONPATH"] == str(tmp_path / "lib")
    assert env["COURSE_DATA"] == "/data" and "SECRET_TOKEN" not in env
    assert env["COURSE_SMOKE"] == "1" and env["PYTHONWARNINGS"] == "ignore" and env["TQDM_DISABLE"] == "1"


def test_a_limit_the_system_refuses_is_skipped_and_the_others_are_set(monkeypatch):
    set_limits = []

    def setrlimit(kind, values):
        if kind == sandbox.resource.RLIMIT_DATA:
            raise ValueError("not allowed here")  # as macOS may answer
        set_limits.append((kind, values))

    monkeypatch.setattr(sandbox.resource, "setrlimit", setrlimit)
    sandbox._limit(sandbox.Limits(memory=1 << 30, disk=1 << 20))
    assert set_limits == [(sandbox.resource.RLIMIT_FSIZE, (1 << 20, 1 << 20)), (sandbox.resource.RLIMIT_CORE, (0, 0))]
