"""Write the student edition: a complete course for students that holds no answer, ready to publish on its own.

The edition has the student notebooks, the ``helpers`` package with a ``pyproject.toml`` that installs it,
``environment.yml``, a README for students and the licence; no ``solutions/``, tests, tools or benchmarks. Its Colab
badges and Colab setup cells point at the edition's own repository, set in ``[tool.course]`` of ``pyproject.toml``
(``edition_repository`` and ``edition_branch``), so that what Colab installs for a student comes from the edition.

Usage: ``python tools/edition.py DIR [LESSON ...]`` (``make student-edition DIR=... LESSONS="..."``): all lessons
by default, or the ones given. Later lessons reuse the answers of earlier ones (lesson 2 trains lesson 1's
network), so publish a lesson when its predecessors are due, as nbgrader releases them. DIR must be missing, empty
(a fresh clone with only ``.git`` counts) or an earlier edition; everything in it but ``.git`` is replaced. The
edition is built in a temporary folder beside DIR and moved into place only when complete.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

import release

ROOT = release.ROOT
# What an edition holds at its top level; anything else in DIR means it is not an edition.
CONTENTS = ("README.md", "LICENSE", "pyproject.toml", "environment.yml", ".gitignore", "helpers", "notebooks")
KEPT_SECTIONS = ("build-system", "project", "project.optional-dependencies", "tool.setuptools")
IGNORED = """\
# MNIST downloads, models the lessons save, environments and caches
data/
checkpoints/
.venv/
*.egg-info/
__pycache__/
.ipynb_checkpoints/
"""
MARKED_FIGURE = re.compile(r"<!-- figure [^>]*-->(.*?)<!-- /figure -->", re.S)


def section(markdown: str, heading: str) -> str:
    """The text under ``heading`` (a whole line such as ``### Where the data lives``) up to the next heading of the
    same or a higher level."""
    level = heading.split()[0]
    match = re.search(rf"^{re.escape(heading)}\n(.*?)(?=^#{{1,{len(level)}}} |\Z)", markdown, re.M | re.S)
    if match is None:
        raise ValueError(f"README.md has no section {heading!r}, which the student edition's README quotes.")
    return match.group(1).strip()


def lesson_rows(readme: str, settings: dict[str, str], lessons: list[str]) -> list[str]:
    """The README's table rows of ``lessons``, with each lesson's links moved to the edition and its figures as plain
    text."""
    rows = []
    for lesson in lessons:
        row = next((line for line in readme.splitlines() if line.startswith("| ") and f"`{lesson}`" in line), None)
        if row is None:
            raise ValueError(f"README.md's lesson table has no row for {lesson}.")
        cells = row.strip("|").split(" | ")
        cells[3] = (f"[`{lesson}`](notebooks/{lesson}/{lesson}.ipynb) "
                    f"[![Open In Colab]({release.COLAB_BADGE})]({release.colab_url(settings, lesson)})")
        rows.append("| " + " | ".join(MARKED_FIGURE.sub(r"\1", cell).strip() for cell in cells) + " |")
    return rows


def student_readme(settings: dict[str, str], lessons: list[str]) -> str:
    readme = (ROOT / "README.md").read_text()
    title, intro = readme.split("\n\n", 2)[:2]
    data_folder = section(readme, "### Where the data lives")
    smoke = section(readme, '### Fast ("smoke") mode')
    rows = "\n".join(lesson_rows(readme, settings, lessons))
    return f"""{title}

{intro}

| # | lesson | what you build | notebook | full mode, 2-core CPU |
| --- | --- | --- | --- | --- |
{rows}

Run times are for the whole notebook in full mode on full MNIST, measured on a 2-core CPU; every lesson uses a
GPU when there is one. Each notebook opens in Colab from its badge, on a GPU runtime when
Colab has one to give; its first code cell installs the course's `helpers` there, leaving Colab's PyTorch as it
is, and does nothing anywhere else. Work through the lessons in order: each one builds on the one before.

## On your own machine

You need Python 3.11 or newer and about 6 GB of disk for PyTorch and JupyterLab. In this folder:

```bash
python3 -m venv .venv && .venv/bin/python -m pip install -e ".[course]"
.venv/bin/jupyter lab notebooks/
```

The first command makes a virtual environment in `.venv/` and installs the course's `helpers` package with
everything the lessons need (a few minutes, mostly PyTorch); the second opens the lessons in JupyterLab. With
conda instead: `conda env create -f environment.yml`, `conda activate ae-vae-course`, `jupyter lab notebooks/`.

Each exercise has lines marked `To Do`; replace the `...` with your code and run the check cell below it. The
checks say what they expected and what they got. Before you hand a lesson in, restart the kernel and run it from
the top.

## Where the data lives

{data_folder}

## Fast ("smoke") mode

{smoke}

## Licence

The course is free to use, change and share under the MIT licence: see `LICENSE`.
"""


def student_pyproject() -> str:
    """pyproject.toml without the maintainers' sections (tests, course settings): it installs ``helpers``."""
    text = (ROOT / "pyproject.toml").read_text()
    parts = re.split(r"^\[([^\]]+)\]\n", text, flags=re.M)
    kept = [f"[{name}]\n{body.strip()}\n" for name, body in zip(parts[1::2], parts[2::2]) if name in KEPT_SECTIONS]
    return "\n".join(kept)


def write(folder: Path, settings: dict[str, str], lessons: list[str]) -> None:
    """Write the edition of ``lessons`` into the empty ``folder``."""
    for lesson in lessons:
        shutil.copytree(ROOT / "notebooks" / lesson, folder / "notebooks" / lesson,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        release.write_launch_cells(folder / "notebooks" / lesson / f"{lesson}.ipynb", settings)
    shutil.copytree(ROOT / "helpers", folder / "helpers", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "environment.yml", folder / "environment.yml")
    shutil.copy(ROOT / "LICENSE", folder / "LICENSE")
    (folder / "pyproject.toml").write_text(student_pyproject())
    (folder / "README.md").write_text(student_readme(settings, lessons))
    (folder / ".gitignore").write_text(IGNORED)


def check_target(target: Path) -> None:
    """Refuse a folder that is neither empty nor an earlier edition: its files would be lost."""
    if not target.exists():
        return
    if not target.is_dir():
        raise SystemExit(f"{target} is a file; give a folder for the student edition.")
    foreign = sorted(p.name for p in target.iterdir() if p.name not in (*CONTENTS, ".git"))
    if foreign:
        raise SystemExit(f"{target} holds {', '.join(foreign[:5])}, which no student edition has: give an empty "
                         "folder, a fresh clone of the edition's repository, or an earlier edition. Nothing was "
                         "written.")


def build(target: Path, lessons: list[str] | None = None) -> Path:
    """Write the student edition of ``lessons`` (default: all) into ``target`` (see the module docstring); return its
    path."""
    known = release.lessons()
    lessons = sorted(lessons or known)
    unknown = sorted(set(lessons) - set(known))
    if unknown:
        raise SystemExit(f"No lesson {', '.join(unknown)}; the lessons are {', '.join(known)}. Nothing was written.")
    target = target.resolve()
    check_target(target)
    settings = release.course_settings(edition=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".edition-") as staging:
        write(Path(staging), settings, lessons)
        target.mkdir(exist_ok=True)
        for old in target.iterdir():
            if old.name != ".git":
                shutil.rmtree(old) if old.is_dir() else old.unlink()
        for new in Path(staging).iterdir():
            new.rename(target / new.name)
    return target


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit("Usage: python tools/edition.py DIR [LESSON ...]   (where to write the student edition, and "
                         "which lessons: all by default)")
    where = build(Path(sys.argv[1]), sys.argv[2:])
    print(f"Wrote the student edition to {where}. Publish it as {release.course_settings(edition=True)['repository']} "
          "(push this folder there); keep this repository, with its solutions, private if you grade.")
