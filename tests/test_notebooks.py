"""Static checks of the lesson notebooks: clean sources, released copies that compile and reveal nothing."""

import re

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from course import (HIDDEN_DELIMITERS, LESSONS, ROOT, SOLUTION_DELIMITERS, floors, grade_cells, grading, inside,
                    outside, read, release_path, secret_lines, solution_cells, source_path, stripped_lines)


def test_the_course_has_its_first_lesson():
    assert "01_autoencoder" in LESSONS


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_lesson_has_a_source_and_a_student_copy(lesson):
    assert source_path(lesson).exists()
    assert release_path(lesson).exists(), f"run `make release` to generate notebooks/{lesson}/"


@pytest.mark.parametrize("path", [source_path(x) for x in LESSONS] + [release_path(x) for x in LESSONS],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_notebooks_are_committed_clean_with_the_python3_kernel(path):
    notebook = read(path)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"cell {cell.id} has outputs"
            assert "execution" not in cell.metadata, f"cell {cell.id} has execution metadata"


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_released_code_cell_compiles(lesson):
    transform = TransformerManager().transform_cell
    for cell in read(release_path(lesson)).cells:
        if cell.cell_type == "code":
            compile(transform(cell.source), f"{lesson}:{cell.id}", "exec")


def _student_files(up_to: str | None = None):
    """Text files students get: the helpers package and the released lessons' folders (up to lesson ``up_to``).

    A later lesson may build on an earlier lesson's answers (its students have already solved them); it is the
    lesson itself and the ones released before it that must not give its answers away.
    """
    files = sorted((ROOT / "helpers").rglob("*.py"))
    for folder in sorted((ROOT / "notebooks").iterdir()):
        if up_to is None or folder.name <= up_to:
            files += sorted(p for p in folder.rglob("*") if p.is_file())
    return files


def test_no_nbgrader_delimiter_reaches_students():
    marks = SOLUTION_DELIMITERS + HIDDEN_DELIMITERS
    for path in _student_files():
        text = path.read_text(errors="replace")
        for mark in marks:
            assert mark not in text, f"{path.relative_to(ROOT)} contains {mark!r}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_solution_or_hidden_test_line_reaches_students(lesson):
    secrets = secret_lines(lesson)
    assert secrets, "found no solution lines: are the delimiters still there?"
    for path in _student_files(up_to=lesson):
        leaked = secrets & stripped_lines(path)
        assert not leaked, f"{path.relative_to(ROOT)} reveals: {sorted(leaked)[:3]}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_exercise_has_a_stub_then_a_visible_check_cell_and_a_hidden_test_cell(lesson):
    source, release = read(source_path(lesson)), read(release_path(lesson))
    released = {c.id: c for c in release.cells}
    solutions = solution_cells(source)
    assert len(solutions) >= 3, "each lesson has at least three graded exercises"
    for number, cell in enumerate(solutions, start=1):
        assert re.match(rf"ex{number}_", cell.id), f"{cell.id}: exercises are numbered ex1_, ex2_, ... in order"
        lines = cell.source.splitlines()
        begin = next(i for i, line in enumerate(lines) if SOLUTION_DELIMITERS[0] in line)
        assert "To Do" in lines[begin - 1], f"{cell.id}: write a '...  # To Do' line right above the solution"
        assert "To Do" in released[cell.id].source
        index = source.cells.index(cell)
        visible, hidden = source.cells[index + 1], source.cells[index + 2]
        assert (visible.id, hidden.id) == (f"{cell.id}_tests", f"{cell.id}_hidden_tests")
        for test_cell in (visible, hidden):
            meta = grading(test_cell)
            assert meta.get("grade") and meta.get("locked") and meta.get("points", 0) > 0, (
                f"{test_cell.id}: must be a locked test cell with points")
        assert not inside(visible.source, HIDDEN_DELIMITERS), f"{visible.id}: visible checks only"
        assert visible.source.startswith(f"checks.require_done({number}, "), (
            f"{visible.id}: start with checks.require_done({number}, ...) so that an untouched exercise says so")
        assert re.search(r"\b(assert|checks\.check_\w+)\b", visible.source), f"{visible.id}: no visible check"
        assert re.search(rf'print\(f?"Exercise {number}: ', visible.source), f"{visible.id}: no success message"
        assert inside(hidden.source, HIDDEN_DELIMITERS), f"{hidden.id}: no hidden tests"
        shown = outside(hidden.source, HIDDEN_DELIMITERS)
        assert shown and all(line.startswith("#") for line in shown), (
            f"{hidden.id}: students should see only a comment saying what the cell is")
    assert all(grading(c).get("locked") for c in grade_cells(source))


def test_nbgrader_is_configured_for_the_course_layout():
    text = (ROOT / "nbgrader_config.py").read_text()
    assert 'source_directory = "solutions"' in text and 'release_directory = "notebooks"' in text
    assert 'code_stub = {"python": ""}' in text


def test_grading_data_and_environments_are_ignored():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    for entry in ("grading/", "data/", ".venv/"):
        assert entry in ignored


def test_every_dependency_is_a_floor_and_environment_yml_declares_the_same_ones_and_installs_the_package():
    conda_names = {"torch": "pytorch"}
    environment = (ROOT / "environment.yml").read_text()
    declared = floors.floors()
    assert {"torch", "nbgrader", "pytest"} <= set(declared)
    for name, version in declared.items():
        conda_name = re.escape(conda_names.get(name, name))
        assert re.search(rf"^\s+- {conda_name}>={re.escape(version)}$", environment, flags=re.M), (
            f"environment.yml should require {name}>={version}, the floor pyproject.toml declares")
    assert re.search(r"^\s+- -e \.$", environment, flags=re.M), "environment.yml should install the course package"


def test_a_dependency_without_a_floor_is_refused(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["torch<3"]\n[project.optional-dependencies]\n')
    monkeypatch.setattr(floors, "ROOT", tmp_path)
    with pytest.raises(ValueError, match="write each dependency as a floor"):
        floors.floors()


def test_answered_copies_hand_in_every_solution_without_delimiters():
    from release import answered

    lesson = "01_autoencoder"
    release = read(release_path(lesson))
    answers = solution_cells(answered(lesson, release))
    assert answers and all("### BEGIN SOLUTION" not in c.source and "# To Do" in c.source for c in answers)
    assert any("nn.Sequential(" in c.source for c in answers)
    skipped = {c.id: c.source for c in solution_cells(answered(lesson, release, skip=answers[0].id))}
    assert skipped[answers[0].id] == solution_cells(release)[0].source  # left as released
    assert solution_cells(release)[0].source != answers[0].source  # and the release itself is untouched
