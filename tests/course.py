"""What the tests need to know about the course's notebooks: where they are and how nbgrader marks their cells."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import edition  # noqa: E402  (writes the student edition)
import floors  # noqa: E402  (the oldest versions the course declares)
import release  # noqa: E402  (the maintainers' release script, which knows the lessons)

LESSONS = release.lessons()

SOLUTION_DELIMITERS = release.SOLUTION_DELIMITERS
HIDDEN_DELIMITERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
MIN_SECRET_LENGTH = 6  # shorter lines (")", "pass") reveal nothing


def source_path(lesson: str) -> Path:
    return ROOT / "solutions" / lesson / f"{lesson}.ipynb"


def release_path(lesson: str) -> Path:
    return ROOT / "notebooks" / lesson / f"{lesson}.ipynb"


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def grading(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def solution_cells(notebook) -> list:
    return [c for c in notebook.cells if c.cell_type == "code" and grading(c).get("solution")]


def grade_cells(notebook) -> list:
    return [c for c in notebook.cells if grading(c).get("grade") and not grading(c).get("solution")]


def inside(source: str, delimiters: tuple[str, str]) -> list[str]:
    """The lines strictly between each pair of delimiters."""
    lines, keep = [], False
    for line in source.splitlines():
        if delimiters[0] in line:
            keep = True
        elif delimiters[1] in line:
            keep = False
        elif keep:
            lines.append(line)
    return lines


def outside(source: str, *pairs: tuple[str, str]) -> list[str]:
    """The lines outside every delimited block (the delimiter lines excluded)."""
    lines, depth = [], 0
    begins = {pair[0] for pair in pairs}
    ends = {pair[1] for pair in pairs}
    for line in source.splitlines():
        if any(mark in line for mark in begins):
            depth += 1
        elif any(mark in line for mark in ends):
            depth -= 1
        elif depth == 0:
            lines.append(line)
    return lines


def secret_lines(lesson: str) -> set[str]:
    """Lines of ``lesson``'s solution blocks and hidden tests that students cannot already see: not in the visible
    part of the same source notebook, and not in the student copy of an earlier lesson (stripped, comments left out).
    """
    cells = [c.source for c in read(source_path(lesson)).cells]
    public = {line.strip() for source in cells for line in outside(source, SOLUTION_DELIMITERS, HIDDEN_DELIMITERS)}
    public |= {line.strip() for earlier in LESSONS if earlier < lesson
               for cell in read(release_path(earlier)).cells for line in cell.source.splitlines()}
    secret = set()
    for source in cells:
        for line in inside(source, SOLUTION_DELIMITERS) + inside(source, HIDDEN_DELIMITERS):
            line = line.strip()
            if len(line) >= MIN_SECRET_LENGTH and not line.startswith("#") and line not in public:
                secret.add(line)
    return secret


def stripped_lines(path: Path) -> set[str]:
    """The stripped lines of a text file, or of a notebook's cell sources."""
    if path.suffix == ".ipynb":
        return {line.strip() for cell in read(path).cells for line in cell.source.splitlines()}
    return {line.strip() for line in path.read_text(errors="replace").splitlines()}
