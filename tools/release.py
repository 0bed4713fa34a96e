"""Regenerate the student notebooks from the instructor's.

First, write the launch cells at the top of each lesson in ``solutions/``: an "Open in Colab" badge for the
lesson's student copy, and a setup cell that installs the course's ``helpers`` package when (and only when) the
notebook runs on Colab. Both come from ``[tool.course]`` in ``pyproject.toml``, the one place that names the
repository. The notebook's metadata asks Colab for a GPU runtime. Then nbgrader generates ``notebooks/`` from
``solutions/``.

Usage: ``python tools/release.py [lesson ...]`` (all lessons by default); ``make release`` runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BADGE_ID, SETUP_ID = "colab_badge", "colab_setup"
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
# Notebook metadata that Colab reads when a badge opens a lesson: ask for a GPU runtime (Colab gives one when it can).
COLAB_METADATA = {"accelerator": "GPU", "colab": {"gpuType": "T4", "provenance": []}}

SETUP_TEMPLATE = '''\
# On Google Colab, this cell installs the course's helpers next to Colab's own PyTorch (nothing else is
# installed or upgraded); data then goes to /content/data. Anywhere else it does nothing.
import os
import sys

if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
    import subprocess

    import torch

    COURSE = "git+{repository}@{branch}"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", COURSE], check=True)
    if not torch.cuda.is_available():
        print("No GPU in this runtime: lessons run on the CPU. For speed, choose Runtime > Change runtime type > GPU.")'''


def lessons() -> list[str]:
    return sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir() and p.name[:2].isdigit())


def course_settings(edition: bool = False) -> dict[str, str]:
    """``repository`` (an https URL on GitHub) and ``branch`` from ``[tool.course]`` in pyproject.toml: this
    repository's, or with ``edition=True`` the student edition's (``edition_repository``, ``edition_branch``)."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["course"]
    prefix = "edition_" if edition else ""
    repository, branch = settings[f"{prefix}repository"], settings[f"{prefix}branch"]
    if not repository.startswith("https://github.com/"):
        raise ValueError(f"[tool.course] {prefix}repository must be a https://github.com/... URL; got {repository!r}.")
    return {"repository": repository.rstrip("/").removesuffix(".git"), "branch": branch}


def colab_url(settings: dict[str, str], lesson: str) -> str:
    """The Colab address that opens the student copy of ``lesson`` from the repository."""
    repo = settings["repository"].removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{repo}/blob/{settings['branch']}/notebooks/{lesson}/{lesson}.ipynb"


def launch_cells(settings: dict[str, str], lesson: str) -> list[nbformat.NotebookNode]:
    badge = nbformat.v4.new_markdown_cell(f"[![Open In Colab]({COLAB_BADGE})]({colab_url(settings, lesson)})",
                                          id=BADGE_ID)
    setup = nbformat.v4.new_code_cell(SETUP_TEMPLATE.format(**settings), id=SETUP_ID)
    return [badge, setup]


def write_launch_cells(path: Path, settings: dict[str, str]) -> bool:
    """Put the badge and setup cells first in the notebook at ``path``, and Colab's request for a GPU runtime in its
    metadata; return whether the file changed."""
    notebook = nbformat.read(path, as_version=4)
    rest = [cell for cell in notebook.cells if cell.get("id") not in (BADGE_ID, SETUP_ID)]
    cells = launch_cells(settings, path.stem) + rest
    metadata = {**notebook.metadata, **COLAB_METADATA}
    if ([(c.cell_type, c.source) for c in cells] == [(c.cell_type, c.source) for c in notebook.cells]
            and metadata == notebook.metadata):
        return False
    notebook.cells = cells
    notebook.metadata = nbformat.from_dict(metadata)
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    return True


SOLUTION_DELIMITERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def nbgrader(*args: str, cwd: Path = ROOT, **options) -> subprocess.CompletedProcess:
    """Run ``nbgrader *args`` in ``cwd`` with this environment's executables on PATH (its migrations call alembic).

    ``options`` go to ``subprocess.run`` (e.g. ``check=True, capture_output=True, text=True``).
    """
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, **options)


def answers(lesson: str) -> dict[str, str]:
    """Each solution cell of ``lesson`` (by id) as a student who solved it would hand it in: delimiters dropped."""
    notebook = nbformat.read(ROOT / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    return {cell.id: "\n".join(line for line in cell.source.splitlines()
                               if not any(mark in line for mark in SOLUTION_DELIMITERS))
            for cell in notebook.cells if cell.get("metadata", {}).get("nbgrader", {}).get("solution")}


def answered(lesson: str, release: nbformat.NotebookNode, skip: str | None = None) -> nbformat.NotebookNode:
    """A copy of the released notebook with every exercise but ``skip`` answered by its solution."""
    notebook = nbformat.from_dict(release)
    solutions = answers(lesson)
    for cell in notebook.cells:
        if cell.get("id") in solutions and cell.id != skip:
            cell.source = solutions[cell.id]
    return notebook


def scratch_course(root: Path, lessons: list[str]) -> Path:
    """A course in the empty folder ``root``, for tests and benchmarks: the config, ``helpers``, ``lessons``' sources
    with their student copies generated by nbgrader, and an empty grading area."""
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "helpers", root / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "grading").mkdir()
    for lesson in lessons:
        shutil.copytree(ROOT / "solutions" / lesson, root / "solutions" / lesson,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        done = nbgrader("generate_assignment", lesson, cwd=root, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {lesson} failed:\n{done.stdout}{done.stderr}")
    return root


def main(selected: list[str]) -> None:
    settings = course_settings()
    (ROOT / "grading").mkdir(exist_ok=True)
    for lesson in selected or lessons():
        if write_launch_cells(ROOT / "solutions" / lesson / f"{lesson}.ipynb", settings):
            print(f"updated the launch cells of solutions/{lesson}")
        nbgrader("generate_assignment", lesson, "--force", check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
