"""`make grade` against submissions that try to cheat or escape, graded in the bubblewrap sandbox (tools/sandbox.py).

One batch grades lesson 01 in a temporary course with 2 workers, the sandbox required and small limits. Each
hostile student adds a few lines to an answer cell of an untouched copy (it must still score 0) or of a complete
copy (it must still score 8/8: the attack gains nothing and costs the batch nothing). A Dask ``LocalCluster`` grades
a smaller batch the same way. ``.ci/run`` installs bubblewrap, so in CI none of these is skipped.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import distributed
import nbformat
import pytest
from nbgrader.api import Gradebook

from course import read
from release import answered, scratch_course

# isort: split
import grade  # tools/grade.py: course.py puts tools/ on sys.path
import sandbox  # tools/sandbox.py

pytestmark = pytest.mark.slow

LESSON = "01_autoencoder"
TIMEOUT = 60
LIMITS = sandbox.Limits(memory=3 << 30, processes=64, disk=256 << 20)
MARKER = "left-running-by-a-submission"
SECRET = "SECRET-of-the-victim-7f3a"

if sandbox.unavailable():
    pytest.fail(f"the sandbox tests need bubblewrap: {sandbox.unavailable()} (sudo apt-get install bubblewrap)",
                pytrace=False)

# Each attack, as code appended to the first answer cell. {course}, {port} and {victim} are filled in.
REWRITES_LATER = f'''
import subprocess, sys, textwrap
watcher = textwrap.dedent("""
    import json, pathlib, time
    grading = pathlib.Path.cwd().parents[2]  # the kernel runs in grading/autograded/<student>/<lesson>/
    for _ in range(1200):
        for path in grading.glob("autograded/**/*.ipynb"):
            try:
                notebook = json.loads(path.read_text())
                for cell in notebook["cells"]:
                    cell["outputs"] = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
                path.write_text(json.dumps(notebook))
            except Exception:
                pass
        time.sleep(0.05)
""")
subprocess.Popen([sys.executable, "-c", watcher, "{MARKER}"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''

HIDES_TRACEBACKS = '''
import sys
shell = get_ipython()
shell.showtraceback = lambda *args, **kwargs: None
shell._showtraceback = lambda *args, **kwargs: None
shell.showsyntaxerror = lambda *args, **kwargs: None
sys.excepthook = lambda *args: None
'''

PHONES_HOME = '''
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).sendall(b"hello from a submission")
    print("CONNECTED")
except OSError as error:
    print("no connection:", error)
'''

READS_OTHERS = '''
import pathlib
for path in [{victim!r}, {source!r}, {config!r}]:
    try:
        print("READ", path, pathlib.Path(path).read_text()[:20000])
    except OSError as error:
        print("cannot read", path, type(error).__name__)
'''

WRITES_COURSE = '''
import pathlib
for path in [{db!r}, {config!r}]:
    try:
        pathlib.Path(path).write_text("rewritten by a submission")
    except OSError as error:
        print("cannot write", path, type(error).__name__)
for folder in [{course!r}, {grading!r}, {victim_folder!r}]:
    try:
        (pathlib.Path(folder) / "planted-by-a-submission").write_text("x")
    except OSError as error:
        print("cannot plant in", folder, type(error).__name__)
'''

SPAWNS = f'''
import subprocess, sys
for _ in range(40):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(900)", "{MARKER}"], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''

HOGS_MEMORY = '''
hog = bytearray(4 << 30)
'''

FORKS = f'''
import subprocess, sys
for _ in range(100):
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(900)", "{MARKER}"], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
'''

HOGS_MEMORY_TOGETHER = f'''
import subprocess, sys
hog = "import time; hog = b'x' * (700 << 20); time.sleep(900)"
for _ in range(6):
    subprocess.Popen([sys.executable, "-c", hog, "{MARKER}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
import time; time.sleep(30)
'''

KILLS_GRADER = '''
import os, signal
os.kill(os.getppid(), signal.SIGKILL)  # nbgrader: its copy of the notebook, not yet run, would score full marks
'''

FILLS_DISK = '''
import os
chunk = b"x" * (1 << 20)
for name in ("filler-here", "/tmp/filler-there", "/filler-root", "/dev/filler-dev", "/dev/shm/filler-shm"):
    try:
        with open(name, "wb") as handle:
            for _ in range(512):
                handle.write(chunk)
    except OSError as error:
        print(name, error.strerror)
    else:
        print(name, "FILLED")
'''


@dataclass
class Attack:
    base: str     # "untouched" or "complete": the copy the lines are added to
    code: str
    score: float | None  # what it must still score; None: the run is stopped and left for manual grading


ATTACKS = {
    "rewrites_later": Attack("untouched", REWRITES_LATER, 0),
    "hides_tracebacks": Attack("untouched", HIDES_TRACEBACKS, 0),
    "phones_home": Attack("complete", PHONES_HOME, 8),
    "reads_others": Attack("complete", READS_OTHERS, 8),
    "writes_course": Attack("complete", WRITES_COURSE, 8),
    "spawns": Attack("complete", SPAWNS, 8),
    "hogs_memory": Attack("complete", HOGS_MEMORY, 8),
    "fills_disk": Attack("complete", FILLS_DISK, 8),
    "forks": Attack("complete", FORKS, None),
    "hogs_memory_together": Attack("complete", HOGS_MEMORY_TOGETHER, None),
    "kills_grader": Attack("untouched", KILLS_GRADER, None),
}
STOPPED = {"forks": "more than 64 processes: the run was stopped",
           "hogs_memory_together": "more than 3072 MiB of memory in all: the run was stopped",
           "kills_grader": sandbox.UNFINISHED}


def _with_code(notebook: nbformat.NotebookNode, code: str) -> nbformat.NotebookNode:
    notebook = nbformat.from_dict(notebook)
    cell = next(c for c in notebook.cells if c.get("id") == "ex1_autoencoder")
    cell.source += "\n" + code
    return notebook


def _course(root: Path) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """A temporary course with lesson 01 released; its untouched and complete copies."""
    scratch_course(root, [LESSON])
    release = read(root / "notebooks" / LESSON / f"{LESSON}.ipynb")
    return release, answered(LESSON, release)


def _submit(root: Path, student: str, notebook: nbformat.NotebookNode) -> Path:
    folder = root / "grading" / "submitted" / student / LESSON
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{LESSON}.ipynb")
    return folder / f"{LESSON}.ipynb"


def _scores(root: Path, students) -> dict[str, float | None]:
    with Gradebook(f"sqlite:///{root / 'grading' / 'gradebook.db'}") as gradebook:
        return {s: gradebook.find_submission_notebook(LESSON, LESSON, s).score for s in students}


def _left_running() -> list[str]:
    """Processes on this machine whose command line carries MARKER."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if MARKER.encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            pass
    return found


class Listener(threading.Thread):
    """A TCP server on this machine's loopback that records whatever connects."""

    def __init__(self):
        super().__init__(daemon=True)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = []

    def run(self):
        while True:
            try:
                connection, address = self.server.accept()
            except OSError:
                return
            self.connections.append(address)
            connection.close()


@dataclass
class Batch:
    root: Path
    results: dict[str, grade.Submission]
    scores: dict[str, float | None]
    listener: Listener
    protected: dict[Path, bytes]
    victim: Path


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Batch:
    root = tmp_path_factory.mktemp("hostile_course")
    release, complete = _course(root)
    victim_notebook = _with_code(complete, f"# {SECRET}")
    victim = _submit(root, "victim", victim_notebook)
    listener = Listener()
    listener.start()
    fill = {"port": listener.port, "victim": str(victim), "victim_folder": str(victim.parent), "course": str(root),
            "source": str(root / "solutions" / LESSON / f"{LESSON}.ipynb"), "config": str(root / "nbgrader_config.py"),
            "db": str(root / "grading" / "gradebook.db"), "grading": str(root / "grading")}
    for student, attack in ATTACKS.items():
        base = release if attack.base == "untouched" else complete
        _submit(root, student, _with_code(base, attack.code.format(**fill)))
    protected = grade.snapshot([root / "nbgrader_config.py", root / "solutions" / LESSON / f"{LESSON}.ipynb",
                                *(root / "grading" / "submitted").rglob("*.ipynb")])
    results = grade.grade(root, [LESSON], workers=2, timeout=TIMEOUT, mode="required", limits=LIMITS)
    listener.server.close()
    return Batch(root, {s.student: s for s in results}, _scores(root, ["victim", *ATTACKS]), listener, protected,
                 victim)


def _printed(batch: Batch, student: str) -> str:
    executed = read(batch.root / "grading" / "autograded" / student / LESSON / f"{LESSON}.ipynb")
    return json.dumps([cell.get("outputs", []) for cell in executed.cells])


@pytest.mark.parametrize("student", [s for s in ATTACKS if s not in STOPPED])
def test_a_hostile_submission_earns_what_its_answers_earn_and_nothing_more(batch, student):
    result = batch.results[student]
    assert result.status == "graded", f"{student}: {result.status}; {result.notes}"
    assert batch.scores[student] == ATTACKS[student].score, f"{student}: notes {result.notes}"


@pytest.mark.parametrize("student", STOPPED)
def test_a_submission_over_the_process_or_memory_limit_is_stopped_and_left_for_manual_grading(batch, student):
    result = batch.results[student]
    assert result.status == "needs manual grading" and STOPPED[student] in result.notes, result.notes
    assert batch.scores[student] is None or batch.scores[student] == 0


def test_every_other_student_keeps_full_marks(batch):
    assert batch.scores["victim"] == 8


def test_no_process_of_a_submission_outlives_grading(batch):
    assert _left_running() == []


def test_the_network_is_out_of_reach(batch):
    assert batch.listener.connections == []
    assert "CONNECTED" not in _printed(batch, "phones_home") and "no connection" in _printed(batch, "phones_home")


def test_other_submissions_and_the_course_are_out_of_sight(batch):
    printed = _printed(batch, "reads_others")
    assert SECRET not in printed and "### BEGIN HIDDEN TESTS" not in printed
    assert printed.count("cannot read") == 3


def test_the_course_cannot_be_written(batch):
    for path, data in batch.protected.items():
        assert path.read_bytes() == data, f"{path} was changed"
    assert list(batch.root.rglob("planted-by-a-submission")) == []
    printed = _printed(batch, "writes_course")
    for path in [batch.root / "grading" / "gradebook.db", batch.root / "nbgrader_config.py"]:
        assert f"cannot write {path}" in printed
    for folder in [batch.root, batch.root / "grading", batch.victim.parent]:
        assert f"cannot plant in {folder}" in printed


def test_memory_and_disk_beyond_the_limits_fail_inside_the_submission(batch):
    assert "MemoryError" in _printed(batch, "hogs_memory")
    printed = _printed(batch, "fills_disk")
    assert "FILLED" not in printed
    for name, error in (("filler-here", "No space left on device"), ("/tmp/filler-there", "No space left on device"),
                        ("/filler-root", "Read-only file system"), ("/dev/filler-dev", "Read-only file system"),
                        ("/dev/shm/filler-shm", "No space left on device")):
        assert f"{name} {error}" in printed


def test_without_bubblewrap_grading_says_so_and_required_refuses(monkeypatch):
    monkeypatch.setattr(sandbox, "unavailable", lambda: "bubblewrap (bwrap) is not installed")
    line = grade.sandbox_line("auto", LIMITS, None)
    assert line.startswith("no sandbox: bubblewrap (bwrap) is not installed.") and "apt-get install bubblewrap" in line
    with pytest.raises(SystemExit, match="--sandbox required"):
        grade.sandbox_line("required", LIMITS, None)
    result = sandbox.run(sandbox.Job("s", LESSON, "{}"), Path("/nonexistent"), "required")
    assert result.executed is None and "no sandbox" in result.notes[0]


def test_a_dask_cluster_grades_in_the_same_sandbox(tmp_path):
    release, complete = _course(tmp_path)
    _submit(tmp_path, "untouched", release)
    _submit(tmp_path, "complete", complete)
    _submit(tmp_path, "rewrites_later", _with_code(release, REWRITES_LATER))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        results = grade.grade(tmp_path, [LESSON], timeout=TIMEOUT, mode="required", scheduler=cluster.scheduler_address,
                              limits=LIMITS)
    assert [r.status for r in results] == ["graded"] * 3, [r.notes for r in results]
    assert _scores(tmp_path, ["untouched", "complete", "rewrites_later"]) == {
        "untouched": 0, "complete": 8, "rewrites_later": 0}
    assert _left_running() == []
