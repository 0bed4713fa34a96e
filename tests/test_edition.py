"""The student edition: everything students need, nothing that reveals an answer, launched from its own repository.

The simulated Colab session against the edition is in test_launch.py, beside the one against this repository.
"""

import re

import pytest

from course import LESSONS, ROOT, edition, read, release, release_path, secret_lines, stripped_lines

EDITION = release.course_settings(edition=True)
INSTRUCTOR = release.course_settings()
# The instructor's repository, named as such (the edition's URL may start with the same words).
INSTRUCTOR_URL = re.compile(re.escape(INSTRUCTOR["repository"]) + r"(?![-\w.])")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return edition.build(tmp_path_factory.mktemp("edition") / "student-edition")


def _files(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _lesson_of(path, folder):
    """The lesson whose folder holds ``path``, or None for a file of the whole course (README, helpers, ...)."""
    parts = path.relative_to(folder).parts
    return parts[1] if parts[0] == "notebooks" else None


def test_the_edition_holds_what_students_need_and_nothing_else(built):
    assert sorted(p.name for p in built.iterdir()) == sorted(edition.CONTENTS)
    assert sorted(p.name for p in (built / "notebooks").iterdir()) == LESSONS
    assert sorted(p.name for p in (built / "helpers").iterdir()) == sorted(p.name for p in (ROOT / "helpers").glob("*.py"))
    names = {part for path in built.rglob("*") for part in path.relative_to(built).parts}
    for forbidden in ("solutions", "tests", "tools", "benchmarks", ".ci", "grading", "nbgrader_config.py", "mistakes"):
        assert forbidden not in names, f"the student edition holds {forbidden}"
    project = (built / "pyproject.toml").read_text()
    assert 'packages = ["helpers"]' in project and "[tool.course]" not in project and "pytest.ini" not in project


def test_no_file_of_the_edition_reveals_an_answer_or_a_hidden_test(built):
    files = _files(built)
    for path in files:
        text = path.read_text(errors="replace")
        for mark in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS"):  # the nbgrader delimiters, with or without ###
            assert mark not in text, f"{path.relative_to(built)} holds the nbgrader delimiter {mark!r}"
    for lesson in LESSONS:
        secrets = secret_lines(lesson)
        assert secrets, "found no solution lines: are the delimiters still there?"
        for path in files:
            if (_lesson_of(path, built) or "") > lesson:  # a later lesson may reuse this one's answers
                continue
            leaked = secrets & stripped_lines(path)
            assert not leaked, f"{path.relative_to(built)} reveals {lesson}'s answers: {sorted(leaked)[:3]}"


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_edition_notebook_is_the_student_copy_launched_from_the_edition_on_a_gpu(built, lesson):
    notebook = read(built / "notebooks" / lesson / f"{lesson}.ipynb")
    badge, setup = notebook.cells[:2]
    assert release.colab_url(EDITION, lesson) in badge.source
    assert f"git+{EDITION['repository']}@{EDITION['branch']}" in setup.source
    assert not INSTRUCTOR_URL.search(badge.source + setup.source), "the edition's launch cells name this repository"
    assert notebook.metadata["accelerator"] == "GPU" and notebook.metadata["colab"]["gpuType"]
    student = read(release_path(lesson))
    assert [(c.id, c.source, c.metadata) for c in notebook.cells[2:]] == [
        (c.id, c.source, c.metadata) for c in student.cells[2:]], "the edition's lesson differs from notebooks/"


def test_the_readme_opens_every_lesson_from_the_edition_and_says_how_to_start(built):
    text = (built / "README.md").read_text()
    for lesson in LESSONS:
        assert release.colab_url(EDITION, lesson) in text and f"(notebooks/{lesson}/{lesson}.ipynb)" in text
    assert not INSTRUCTOR_URL.search(text), "the student README names the instructor's repository"
    assert "<!--" not in text and "make " not in text and "solutions" not in text
    assert 'pip install -e ".[course]"' in text and "jupyter lab notebooks/" in text
    assert "MNIST/raw/" in text and "COURSE_SMOKE" in text and "MIT" in text and (built / "LICENSE").exists()
    run_times = re.findall(r"\| (\d+ s|\d+ min \d+ s) \|$", text, re.M)
    assert len(run_times) == len(LESSONS), "every lesson's row should end with its measured run time"


def test_publishing_some_lessons_writes_only_those(tmp_path):
    target = edition.build(tmp_path / "edition", LESSONS[:2])
    assert sorted(p.name for p in (target / "notebooks").iterdir()) == LESSONS[:2]
    text = (target / "README.md").read_text()
    assert all((f"`{lesson}`" in text) == (lesson in LESSONS[:2]) for lesson in LESSONS)
    with pytest.raises(SystemExit, match="No lesson 07_nothing"):
        edition.build(tmp_path / "other", ["07_nothing"])
    assert not (tmp_path / "other").exists()


def test_writing_again_replaces_an_earlier_edition_and_keeps_its_git_folder(tmp_path):
    target = edition.build(tmp_path / "edition")
    (target / ".git").mkdir()
    (target / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (target / "notebooks" / "stale.txt").write_text("from an older edition")
    edition.build(target, LESSONS[:1])
    assert (target / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert sorted(p.name for p in (target / "notebooks").iterdir()) == LESSONS[:1]
    assert [p.name for p in tmp_path.iterdir()] == ["edition"], "the staging folder was left behind"


def test_a_folder_that_is_not_an_edition_is_refused_and_left_alone(tmp_path):
    (tmp_path / "thesis.tex").write_text("mine")
    with pytest.raises(SystemExit, match="thesis.tex, which no student edition has"):
        edition.build(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.tex"] and (tmp_path / "thesis.tex").read_text() == "mine"
