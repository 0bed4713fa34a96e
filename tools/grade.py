"""Grade every submission under grading/submitted/<student>/<lesson>/<lesson>.ipynb (``make grade``).

1. Check each file: valid notebook JSON, nbgrader metadata present, test cells present and unchanged. Problems
   are reported; a file that is not a notebook, or has no nbgrader metadata at all, is not run.
2. Execute: each (student, lesson) is autograded by nbgrader in a scratch copy of the course of its own (its own
   copy of the gradebook, of ``helpers`` and of the config; its own $HOME), several at a time, in a bubblewrap
   sandbox when this machine can make one (tools/sandbox.py), here or on the workers of a Dask cluster. Lessons
   run in smoke mode with a per-cell timeout; the kernel is guarded by tools/guarded_execute.py.
3. Check that the course's gradebook, config and submissions are as they were; put back any that changed.
4. Record, serially, in this process alone (the gradebook is sqlite: one writer): back up the gradebook, then save
   each executed notebook's scores with nbgrader's own SaveAutoGrades; a submission that could not be graded is
   added for manual grading. Nothing already in the gradebook is removed, and manual scores are kept.
5. Generate feedback (grading/feedback/) and export grades (grading/grades.csv); print a summary.

Usage: ``python tools/grade.py [lesson ...] [--workers N] [--timeout SECONDS] [--course DIR]
[--sandbox auto|required|off] [--scheduler tcp://host:8786] [--memory MIB] [--processes N] [--disk MIB]``
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades
from sqlalchemy.exc import SAWarning

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))
from release import lessons as course_lessons
from release import nbgrader as run_nbgrader

import sandbox  # noqa: E402  (tools/sandbox.py)

CELL_TIMEOUT = 120  # seconds; a smoke-mode training cell takes a few

# Appended to the course's nbgrader_config.py in each scratch copy.
WORKER_CONFIG = """
# --- tools/grade.py: one isolated grading run
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput, SaveAutoGrades
from guarded_execute import GuardedExecute
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
c.Autograde.autograde_preprocessors = [GuardedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                       SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
# The sandbox's proof that the whole notebook ran (tools/sandbox.py): kept until the sandbox has checked it.
c.ClearMetadataPreprocessor.preserve_nb_metadata_mask = {{("language_info", "name"), ({signed!r},)}}
"""


@dataclass
class Expected:
    """What a submission's nbgrader cells should be, as released: locked cells' sources, test cells' points."""

    sources: dict[str, str]
    points: dict[str, float]


@dataclass
class Submission:
    student: str
    lesson: str
    path: Path
    notebook: nbformat.NotebookNode | None = None
    notes: list[str] = field(default_factory=list)
    timestamp: str | None = None  # nbgrader's timestamp.txt beside the notebook, if any
    secret: bytes | None = None  # the exchange's submission_secret.txt beside it, which release_feedback needs
    executed: Path | None = None  # the autograded notebook, in the scratch copy
    score: float | None = None
    max_score: float | None = None
    status: str = "not graded"


def expected_cells(release: Path) -> Expected:
    """The nbgrader cells of the released student notebook at ``release``."""
    cells = [(cell, cell.metadata["nbgrader"]) for cell in nbformat.read(release, as_version=4).cells
             if "nbgrader" in cell.metadata]
    return Expected({meta["grade_id"]: cell.source for cell, meta in cells if meta.get("locked")},
                    {meta["grade_id"]: float(meta["points"]) for cell, meta in cells if meta.get("grade")})


def inspect(raw: bytes, expected: Expected) -> tuple[nbformat.NotebookNode | None, list[str]]:
    """The submitted notebook (None if it cannot be graded) and what is wrong with it, in words."""
    try:
        notebook = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except Exception as error:  # noqa: BLE001 (any reason a file is not a notebook)
        return None, [f"invalid file, not graded: not a notebook ({type(error).__name__})"]
    try:
        cells = {}
        for cell in notebook.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id:
                cells.setdefault(grade_id, cell)
        if not cells:
            return None, ["nbgrader metadata missing, not graded: grade by hand"]
        notes = []
        missing = sorted(set(expected.points) - set(cells))
        if missing:
            notes.append("test cell missing, re-added and graded: " + ", ".join(missing))
        edited = sorted(name for name, source in expected.sources.items()
                        if name in cells and cells[name].source != source)
        if edited:
            notes.append("locked cell edited, restored: " + ", ".join(edited))
        points = sorted(name for name, top in expected.points.items()
                        if name in cells and cells[name].metadata["nbgrader"].get("points") != top)
        if points:
            notes.append("points changed, restored: " + ", ".join(points))
    except (AttributeError, TypeError):  # metadata that is not what nbgrader writes
        return None, ["nbgrader metadata damaged, not graded: grade by hand"]
    return notebook, notes


def find_submissions(course: Path, lessons: list[str]) -> list[Submission]:
    submitted = course / "grading" / "submitted"
    found = []
    for student in sorted(p.name for p in submitted.iterdir() if p.is_dir()) if submitted.is_dir() else []:
        for lesson in lessons:
            path = submitted / student / lesson / f"{lesson}.ipynb"
            if path.is_file():
                found.append(Submission(student, lesson, path))
    return found


def snapshot(paths: list[Path]) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in paths if path.is_file()}


def restore(saved: dict[Path, bytes]) -> list[Path]:
    """Write back every saved file that changed or disappeared; return those."""
    changed = [path for path, data in saved.items() if not path.is_file() or path.read_bytes() != data]
    for path in changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(saved[path])
    return changed


def template(course: Path, batch: Path, lessons: list[str], timeout: int) -> None:
    """What every scratch copy starts from, read from the course before any submission runs: the config (with
    the grading settings), the gradebook, the lessons' files other than notebooks, ``helpers``, the guard, and
    smoke-mode checkpoints that later lessons load."""
    root = batch / "template" / "course"
    (root / "grading").mkdir(parents=True)
    config = (course / "nbgrader_config.py").read_text() + WORKER_CONFIG.format(timeout=timeout, signed=sandbox.SIGNED)
    (root / "nbgrader_config.py").write_text(config)
    shutil.copy(course / "grading" / "gradebook.db", root / "grading" / "gradebook.db")
    for lesson in lessons:
        shutil.copytree(course / "solutions" / lesson, root / "solutions" / lesson,
                        ignore=shutil.ignore_patterns("*.ipynb", ".ipynb_checkpoints"))
    lib = batch / "template" / "lib"
    shutil.copytree(course / "helpers", lib / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(TOOLS / "guarded_execute.py", lib)
    shutil.copy(TOOLS / "sandbox.py", lib)
    (batch / "template" / "checkpoints").mkdir()
    for path in Path(os.environ.get("COURSE_CHECKPOINTS") or course / "checkpoints").glob("*-smoke.pt2"):
        shutil.copy(path, batch / "template" / "checkpoints")
    (batch / "template" / "home").mkdir()


def job(submission: Submission, course: Path, threads: int, limits: sandbox.Limits) -> sandbox.Job:
    return sandbox.Job(submission.student, submission.lesson, nbformat.writes(submission.notebook),
                       submission.timestamp, threads, os.environ.get("COURSE_DATA") or str(course / "data"), limits)


def time_limit(submission: Submission, timeout: int) -> int:
    """Seconds the whole run of a submission may take: every code cell at its timeout, and a margin."""
    return timeout * (sum(cell.cell_type == "code" for cell in submission.notebook.cells) + 5)


def outcome_notes(notebook: nbformat.NotebookNode) -> list[str]:
    """What went wrong while the notebook ran: cells stopped by the timeout, a kernel that died."""
    errors = [(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {index}", output.ename)
              for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.output_type == "error"]
    notes = []
    timed_out = [cell for cell, ename in errors if ename == "CellTimeoutError"]
    if timed_out:
        notes.append("stopped by the timeout: " + ", ".join(timed_out))
    died = [cell for cell, ename in errors if ename == "DeadKernelError"]
    if died:
        notes.append(f"kernel died in {died[0]}; later test cells score 0")
    guarded = [cell for cell, ename in errors if ename == "GradingGuardError"]
    if guarded:
        notes.append("grading guard failed (scored 0): " + ", ".join(guarded))
    return notes


def backup(db: Path) -> Path:
    """A consistent copy of the gradebook in grading/backups/, named by the time."""
    target = db.parent / "backups" / f"gradebook-{datetime.datetime.now():%Y%m%d-%H%M%S-%f}.db"
    target.parent.mkdir(exist_ok=True)
    with sqlite3.connect(db) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return target


def record(submission: Submission, course: Path, db_url: str) -> None:
    """Save the scores of an executed submission in the gradebook, or add it for manual grading."""
    extra = {"timestamp": submission.timestamp} if submission.timestamp else {}
    with Gradebook(db_url) as gradebook:
        gradebook.update_or_create_student(submission.student)
        gradebook.update_or_create_submission(submission.lesson, submission.student, **extra)
    notebook = nbformat.read(submission.executed, as_version=4) if submission.executed else None
    if notebook is None:
        with Gradebook(db_url) as gradebook:
            for grade in gradebook.find_submission_notebook(submission.lesson, submission.lesson,
                                                            submission.student).grades:
                grade.needs_manual_grade = True
            gradebook.db.commit()
        submission.status = "needs manual grading"
        return
    submission.notes += outcome_notes(notebook)
    resources = {"nbgrader": {"notebook": submission.lesson, "assignment": submission.lesson,
                              "student": submission.student, "db_url": db_url}}
    for preprocessor in (SaveAutoGrades(), AssignLatePenalties()):
        notebook, resources = preprocessor.preprocess(notebook, resources)
    folder = course / "grading" / "autograded" / submission.student / submission.lesson
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{submission.lesson}.ipynb")
    if submission.timestamp:
        (folder / "timestamp.txt").write_text(submission.timestamp)
    if submission.secret is not None:  # generate_feedback copies it on, and release_feedback hashes with it
        (folder / "submission_secret.txt").write_bytes(submission.secret)
    with Gradebook(db_url) as gradebook:
        graded = gradebook.find_submission_notebook(submission.lesson, submission.lesson, submission.student)
        submission.score, submission.max_score = graded.score, graded.max_score
    submission.status = "graded"


def nbgrader(course: Path, *args: str) -> None:
    """Run nbgrader in ``course``; report a failure without stopping the batch."""
    done = run_nbgrader(*args, cwd=course, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"nbgrader {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}", file=sys.stderr)


def ensure_assignments(course: Path, db_url: str, lessons: list[str]) -> None:
    """Make sure the gradebook knows each lesson (as `make release` records it), without touching notebooks/."""
    for lesson in lessons:
        with Gradebook(db_url) as gradebook:
            try:
                gradebook.find_notebook(lesson, lesson)
                continue
            except MissingEntry:
                pass
        with tempfile.TemporaryDirectory() as release:
            nbgrader(course, "generate_assignment", lesson, f"--CourseDirectory.release_directory={release}")


def summary(submissions: list[Submission]) -> str:
    rows = [("student", "lesson", "score", "status")]
    for s in submissions:
        score = f"{s.score:g}/{s.max_score:g}" if s.score is not None else "-"
        rows.append((s.student, s.lesson, score, "; ".join([s.status, *s.notes])))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(value.ljust(width) for value, width in zip(row[:3], widths)) + "  " + row[3] for row in rows]
    graded = sum(s.status == "graded" for s in submissions)
    lines.append(f"{graded} of {len(submissions)} submissions graded automatically; "
                 f"{len(submissions) - graded} need manual grading.")
    return "\n".join(lines)


NO_SANDBOX = ("Each submission still runs in a scratch copy of the course, in a process session of its own that is "
              "killed when it ends, under the same memory and disk limits per process; but it can read your files, "
              "use the network and start processes that outlive it. Install bubblewrap (Debian/Ubuntu: sudo apt-get "
              "install bubblewrap) to grade in a sandbox; --sandbox required refuses to grade without one.")


def sandbox_line(mode: str, limits: sandbox.Limits, scheduler: str | None) -> str:
    """One line saying how submissions are isolated; SystemExit when a sandbox is required and cannot be made."""
    if mode == "off":
        return "sandbox: off. " + NO_SANDBOX
    if scheduler:
        return f"sandbox: {mode}, on each Dask worker (a worker that cannot make one says so in its notes)"
    reason = sandbox.unavailable()
    if reason and mode == "required":
        raise SystemExit(f"not grading: --sandbox required, and {reason}.")
    if reason:
        return f"no sandbox: {reason}. " + NO_SANDBOX
    return (f"sandbox: bubblewrap, one per submission (no network, no view of the course, of your home or of other "
            f"submissions; its processes end with it); limits {limits.memory >> 20} MiB of memory, "
            f"{limits.processes} processes, {limits.disk >> 20} MiB written")


def execute_all(runnable: list[Submission], course: Path, batch: Path, timeout: int, workers: int, mode: str,
                scheduler: str | None, limits: sandbox.Limits) -> None:
    """Run every submission, several at a time on this machine or on a Dask cluster; set ``executed``."""
    threads = 1 if scheduler else max(1, (os.cpu_count() or 1) // workers)
    jobs = [(s, job(s, course, threads, dataclasses.replace(limits, seconds=time_limit(s, timeout)))) for s in runnable]
    (batch / "executed").mkdir()
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if scheduler:
            from distributed import Client
            from distributed import as_completed as completed_futures
            client = stack.enter_context(Client(scheduler))
            client.upload_file(str(TOOLS / "sandbox.py"))
            archive = client.scatter(sandbox.pack(batch / "template"), broadcast=True)
            futures = {client.submit(sandbox.run, j, archive, mode, pure=False): s for s, j in jobs}
            results = ((futures[f], f.result()) for f in completed_futures(futures))
        else:
            pool = stack.enter_context(ThreadPoolExecutor(workers))
            futures = {pool.submit(sandbox.run, j, batch / "template", mode): s for s, j in jobs}
            results = ((futures[f], f.result()) for f in as_completed(futures))
        for done, (s, result) in enumerate(results, 1):
            s.notes += result.notes
            if result.executed is None:
                s.notes.append("grading failed: " + (result.log.strip().splitlines() or ["no output"])[-1][:200])
            else:
                s.executed = batch / "executed" / f"{s.student}-{s.lesson}.ipynb"
                s.executed.write_text(result.executed)
            print(f"[{done}/{len(runnable)}, {time.perf_counter() - start:.0f} s] {s.student} {s.lesson}: "
                  f"{'executed' if s.executed else 'failed'}", flush=True)


def grade(course: Path = ROOT, lessons: list[str] | None = None, workers: int | None = None,
          timeout: int = CELL_TIMEOUT, mode: str = "auto", scheduler: str | None = None,
          limits: sandbox.Limits = sandbox.Limits()) -> list[Submission]:
    """Grade every submission of ``lessons`` (default: all) in ``course``; return them with scores and notes."""
    course = course.resolve()
    lessons = lessons or course_lessons()
    workers = workers or os.cpu_count() or 1
    print(sandbox_line(mode, limits, scheduler), flush=True)
    db = course / "grading" / "gradebook.db"
    db_url = f"sqlite:///{db}"
    db.parent.mkdir(exist_ok=True)
    ensure_assignments(course, db_url, lessons)
    expected = {lesson: expected_cells(course / "notebooks" / lesson / f"{lesson}.ipynb") for lesson in lessons}
    submissions = find_submissions(course, lessons)
    submitted = sorted((course / "grading" / "submitted").rglob("*"))
    protected = snapshot([db, course / "nbgrader_config.py", *submitted])
    for s in submissions:
        s.notebook, s.notes = inspect(protected[s.path], expected[s.lesson])
        stamp = protected.get(s.path.parent / "timestamp.txt")
        s.timestamp = stamp.decode().strip() if stamp else None
        s.secret = protected.get(s.path.parent / "submission_secret.txt")
    runnable = [s for s in submissions if s.notebook is not None]
    with tempfile.TemporaryDirectory(prefix="course-grading-") as folder:
        batch = Path(folder)
        template(course, batch, lessons, timeout)
        execute_all(runnable, course, batch, timeout, workers, mode, scheduler, limits)
        for path in restore(protected):
            print(f"warning: {path.relative_to(course)} was changed during grading and has been put back",
                  file=sys.stderr)
        saved = backup(db)
        print(f"gradebook backed up to {saved.relative_to(course)}")
        with warnings.catch_warnings():  # nbgrader's own use of SQLAlchemy warns, harmlessly
            warnings.simplefilter("ignore", SAWarning)
            for s in submissions:
                record(s, course, db_url)
    for lesson in sorted({s.lesson for s in submissions}):
        nbgrader(course, "generate_feedback", lesson, "--force")
    nbgrader(course, "export", f"--to={course / 'grading' / 'grades.csv'}")
    print(summary(submissions))
    print(f"feedback: {course / 'grading' / 'feedback'}; grades: {course / 'grading' / 'grades.csv'}")
    return submissions


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("lessons", nargs="*", help="lessons to grade (default: all)")
    parser.add_argument("--workers", type=int, default=None, help="submissions run at once (default: all cores)")
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="seconds a cell may run")
    parser.add_argument("--course", type=Path, default=ROOT, help="the course folder (default: this one)")
    parser.add_argument("--sandbox", choices=("auto", "required", "off"), default="auto",
                        help="grade each submission in a bubblewrap sandbox: when one can be made (auto), or refuse "
                             "to grade without one (required)")
    parser.add_argument("--scheduler", help="a Dask scheduler's address (tcp://host:8786): run the submissions on "
                                            "its workers; results are recorded here")
    defaults = sandbox.Limits()
    parser.add_argument("--memory", type=int, default=defaults.memory >> 20, help="MiB one submission may use")
    parser.add_argument("--processes", type=int, default=defaults.processes, help="processes one submission may run")
    parser.add_argument("--disk", type=int, default=defaults.disk >> 20, help="MiB one submission may write")
    args = parser.parse_args(argv)
    limits = sandbox.Limits(memory=args.memory << 20, processes=args.processes, disk=args.disk << 20)
    grade(args.course, args.lessons, args.workers, args.timeout, args.sandbox, args.scheduler, limits)


if __name__ == "__main__":
    main()
