"""Open JupyterLab on the course: ``make lab`` for students, ``make instructor`` for instructors.

student     JupyterLab on ``notebooks/``, the student copies, with nbgrader's Validate button and none of its
            instructor tools: no Nbgrader menu, Formgrader, Create Assignment, Assignment List or Courses, which a
            student working on their own machine cannot use (they need an instructor's gradebook and exchange).
instructor  JupyterLab on the whole course folder, with every nbgrader tool working on this machine: the gradebook
            (``grading/gradebook.db``) knows every lesson, as ``make release`` records them; Formgrader lists the
            lessons and opens their sources in ``solutions/``; a local exchange (``grading/exchange/``) takes
            Formgrader's release, collect and feedback, and the Assignment List fetches and submits as a trial student
            whose folder is ``grading/trial-student/``.

Both start in the course folder, where nbgrader reads ``nbgrader_config.py``, and put ``tools/jupyter/course`` (lessons
open unmodified; no news feed is fetched) and for students ``tools/jupyter/student`` first on JUPYTER_CONFIG_PATH;
nothing in the environment's own Jupyter settings is changed.

Usage: ``python tools/lab.py student|instructor [--course DIR] [jupyter lab options ...]``
"""

from __future__ import annotations

import argparse
import filecmp
import os
import stat
import sys
import tempfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))
from release import nbgrader  # noqa: E402

CONFIG = TOOLS / "jupyter"
ROLES = {"student": ["student", "course"], "instructor": ["course"]}
# What nbgrader_config.py names: the local exchange, its cache and the trial student's folder, all under grading/.
EXCHANGE = Path("grading", "exchange")
CACHE = Path("grading", "exchange-cache")
TRIAL_STUDENT = Path("grading", "trial-student")
TRIAL_STUDENT_CONFIG = '''\
# Written by tools/lab.py (make instructor). The Assignment List fetches lessons into this folder, as a student
# would; nbgrader reads its settings here, and they are the course's.
load_subconfig("nbgrader_config.py", path={course!r})
'''


def environment(role: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the server: the course's Jupyter settings for ``role`` first, this Python's tools on PATH."""
    env = dict(os.environ if base is None else base)
    folders = [str(CONFIG / name) for name in ROLES[role]]
    if env.get("JUPYTER_CONFIG_PATH"):
        folders.append(env["JUPYTER_CONFIG_PATH"])
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(folders)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def recorded(course: Path) -> set[str]:
    """The lessons the gradebook of ``course`` knows (none when it does not exist yet)."""
    import warnings

    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    db = course / "grading" / "gradebook.db"
    if not db.exists():
        return set()
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{db}") as gradebook:
        warnings.simplefilter("ignore", SAWarning)
        return {assignment.name for assignment in gradebook.assignments}


def record_lessons(course: Path) -> list[str]:
    """Record in the gradebook each lesson it lacks, as ``make release`` does (``nbgrader generate_assignment``), into
    a scratch folder so that ``notebooks/`` is left as it is; return what to tell the instructor."""
    notes = []
    known = recorded(course)
    lessons = sorted(p.name for p in (course / "solutions").iterdir() if p.is_dir() and p.name[:2].isdigit())
    for lesson in lessons:
        if lesson in known:
            continue
        with tempfile.TemporaryDirectory() as scratch:
            done = nbgrader("generate_assignment", lesson, f"--CourseDirectory.release_directory={scratch}",
                            cwd=course, capture_output=True, text=True)
            if done.returncode != 0:
                notes.append(f"could not record {lesson} in grading/gradebook.db (nbgrader generate_assignment "
                             f"failed):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
                continue
            fresh = Path(scratch) / lesson / f"{lesson}.ipynb"
            released = course / "notebooks" / lesson / f"{lesson}.ipynb"
            current = released.exists() and filecmp.cmp(fresh, released, shallow=False)
        notes.append(f"recorded {lesson} in grading/gradebook.db"
                     + ("" if current else f"; notebooks/{lesson} is not what solutions/{lesson} gives: run make release"))
    return notes


def prepare_instructor(course: Path) -> list[str]:
    """Make what the instructor's tools expect in ``course``: the gradebook with every lesson, the exchange folder
    (writable by everyone, as nbgrader's release makes it) and the trial student's folder; return notes."""
    (course / "grading").mkdir(exist_ok=True)
    exchange = course / EXCHANGE
    if not exchange.is_dir():
        exchange.mkdir()
        exchange.chmod(stat.S_IRWXU | stat.S_IRWXG | stat.S_IRWXO)
    (course / CACHE).mkdir(exist_ok=True)
    trial = course / TRIAL_STUDENT
    trial.mkdir(exist_ok=True)
    (trial / "nbgrader_config.py").write_text(TRIAL_STUDENT_CONFIG.format(course=str(course)))
    return record_lessons(course)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("role", choices=sorted(ROLES))
    parser.add_argument("--course", type=Path, default=ROOT, help="the course folder (default: this one)")
    args, lab_options = parser.parse_known_args(argv)
    course = args.course.resolve()
    if args.role == "instructor":
        for note in prepare_instructor(course):
            print(note, flush=True)
        root = course
    else:
        root = course / "notebooks"
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}", *lab_options]
    os.chdir(course)
    os.execve(sys.executable, command, environment(args.role))


if __name__ == "__main__":
    main()
