"""Autograde one submission, inside a bubblewrap sandbox when one can be made (used by tools/grade.py).

Outside (``run``): the submission's whole grading run, nbgrader and its kernel, runs in ``bwrap`` with its own
user, PID, network (loopback only), IPC and UTS namespaces and no capabilities. It sees the system folders and the
Python environment read-only, the course's data read-only, and a copy of the grading template (config, gradebook,
``helpers``, the guard, checkpoints) in a size-limited tmpfs: no course folder, no home, no other submission.
When the run ends, everything it started is gone with its PID namespace; only then is its result read.

Inside (``python sandbox.py --inside SETTINGS``, the sandbox's PID 1): copy the template and the submission into the
tmpfs, run ``nbgrader autograde`` under resource limits while a watchdog counts processes and memory, stop every
process that is left, and print the executed notebook and nbgrader's log as one JSON line.

This file imports nothing from the course, so that Dask workers on other machines can run it as it is.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from io import BytesIO
from pathlib import Path

SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
INSIDE = Path("/grading")  # where the sandbox sees its files
SHARED_MEMORY = 64 << 20  # bytes of /dev/shm (POSIX semaphores and shared memory)
PR_SET_DUMPABLE = 4
MARKER = "COURSE_SANDBOX_INIT"  # set for nbgrader by the sandbox's PID 1 (see guarded_execute.py)
TOKEN = "COURSE_SANDBOX_TOKEN"  # a secret of one run, for nbgrader alone: the executed notebook must carry it
SIGNED = "grading_run"  # the notebook metadata key that carries it


@dataclass(frozen=True)
class Limits:
    """What one submission may use: memory (bytes, per process and in all), processes, disk written (bytes), and
    seconds for the whole run."""

    memory: int = 4 << 30
    processes: int = 64
    disk: int = 1 << 30
    seconds: int = 1800


@dataclass
class Job:
    """One submission to grade: the notebook as text, and what the grading run needs to know."""

    student: str
    lesson: str
    notebook: str
    timestamp: str | None = None
    threads: int = 1
    data: str = ""  # the course's data folder on the machine that grades
    limits: Limits = field(default_factory=Limits)


@dataclass
class Result:
    executed: str | None  # the autograded notebook, as text; None when nbgrader wrote none
    log: str
    notes: list[str] = field(default_factory=list)


def pack(template: Path) -> bytes:
    """The grading template as a gzipped tar, to send to workers on other machines."""
    buffer = BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(template, arcname=".")
    return buffer.getvalue()


def unpack(archive: bytes, cache: Path = Path(tempfile.gettempdir())) -> Path:
    """The template of ``archive``, unpacked once per machine (keyed by its content)."""
    target = cache / f"course-grading-template-{hashlib.sha256(archive).hexdigest()[:16]}"
    if not target.is_dir():
        staging = Path(tempfile.mkdtemp(dir=cache))
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(staging, filter="data")
        try:
            staging.rename(target)
        except OSError:  # another job unpacked it first
            shutil.rmtree(staging)
    return target


def _binds(python: Path) -> list[str]:
    """Read-only views of the system and of the Python environment that runs nbgrader."""
    args = []
    for folder in SYSTEM:
        path = Path(folder)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), folder]
        elif path.is_dir():
            args += ["--ro-bind", folder, folder]
    prefixes = {Path(sys.prefix), Path(sys.base_prefix), python.resolve().parent.parent}
    for prefix in sorted(prefixes):
        if not any(str(prefix).startswith(folder + "/") for folder in SYSTEM):
            args += ["--ro-bind", str(prefix), str(prefix)]
    return args


def command(template: Path, submission: Path, settings: dict, limits: Limits) -> list[str]:
    """The bwrap command line that grades one submission (template and submission folders are read-only)."""
    python = Path(sys.executable)
    data = settings.get("data")
    args = ["bwrap", "--unshare-all", "--unshare-user", "--uid", "1000", "--gid", "1000", "--cap-drop", "ALL",
            "--die-with-parent", "--new-session", "--as-pid-1", "--hostname", "grading",
            *_binds(python), "--proc", "/proc", "--dev", "/dev", "--size", str(SHARED_MEMORY), "--tmpfs", "/dev/shm",
            "--size", str(limits.disk), "--tmpfs", str(INSIDE),
            "--ro-bind", str(template), str(INSIDE / "template"),
            "--ro-bind", str(submission), str(INSIDE / "submission"),
            "--symlink", str(INSIDE / "work" / "tmp"), "/tmp", "--chdir", str(INSIDE)]
    if data and Path(data).is_dir():
        args += ["--ro-bind", data, data]
    args += ["--remount-ro", "/", "--remount-ro", "/dev"]  # bwrap's own root and /dev are unlimited tmpfs
    return [*args, str(python), "-I", str(INSIDE / "template" / "lib" / "sandbox.py"), "--inside",
            json.dumps(settings)]


@functools.cache
def unavailable() -> str | None:
    """Why no sandbox can be made here (None when one can): no bwrap, or no user namespaces."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    probe = ["bwrap", "--unshare-all", "--unshare-user", "--cap-drop", "ALL", "--die-with-parent",
             *_binds(Path(sys.executable)), "--proc", "/proc", "--dev", "/dev", sys.executable, "-I", "-c", ""]
    done = subprocess.run(probe, capture_output=True, text=True)
    if done.returncode == 0:
        return None
    return "bwrap cannot make a sandbox here: " + (done.stderr.strip().splitlines() or ["no reason given"])[-1]


def run(job: Job, template: Path | bytes, sandbox: str = "auto") -> Result:
    """Grade ``job`` from ``template`` (a folder, or its ``pack``ed archive on a remote worker). ``sandbox`` is
    "auto" (a sandbox when this machine can make one), "required" (never grade without) or "off"."""
    reason = unavailable() if sandbox != "off" else "turned off"
    if reason and sandbox == "required":
        return Result(None, reason, [f"not graded: no sandbox on this machine ({reason})"])
    if isinstance(template, bytes):
        template = unpack(template)
    data = os.environ.get("COURSE_DATA") or job.data  # a worker's own data folder comes first
    settings = {"student": job.student, "lesson": job.lesson, "timestamp": job.timestamp, "threads": job.threads,
                "data": data, "limits": asdict(job.limits)}
    with tempfile.TemporaryDirectory(prefix=f"{job.student}-{job.lesson}-") as folder:
        scratch = Path(folder)
        (scratch / f"{job.lesson}.ipynb").write_text(job.notebook)
        if reason is None:
            return _sandboxed(command(template, scratch, settings, job.limits), job.limits.seconds)
        return _unsandboxed(template, scratch, settings, job.limits.seconds)


def _finish(process: subprocess.Popen, seconds: int) -> tuple[str, str, list[str]]:
    """Wait for ``process`` at most ``seconds``; kill its whole session after; return its stdout, stderr, notes."""
    out, err, notes = "", "", []
    try:
        out, err = process.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        notes = [f"stopped after {seconds} s, the time limit of one submission"]
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
    return out or "", err or "", notes


def _sandboxed(args: list[str], seconds: int) -> Result:
    process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    out, err, notes = _finish(process, seconds)
    try:
        reply = json.loads(out.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return Result(None, err[-20000:] or "the sandbox gave no result", notes)
    return Result(reply["executed"], reply["log"], notes + reply["notes"])


def _unsandboxed(template: Path, scratch: Path, settings: dict, seconds: int) -> Result:
    """The same run without a sandbox: a scratch copy, its own process session, the same limits per process."""
    work = scratch / "work"
    course = _prepare(template, scratch, work, settings)
    process = subprocess.Popen(_autograde(settings), cwd=course, env=_environment(work, settings),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                               preexec_fn=lambda: _limit(Limits(**settings["limits"])))
    log, _, notes = _finish(process, seconds)
    if process.returncode != 0:
        return Result(None, log[-20000:], notes + [UNFINISHED])
    return Result(_executed(course, settings), log[-20000:], notes)


UNFINISHED = "the grading run did not finish (nbgrader was stopped): left for manual grading"


# --- shared by both runs -------------------------------------------------------------------------------------------

def _prepare(template: Path, submission: Path, work: Path, settings: dict) -> Path:
    """A course of its own in ``work``: the template, plus the submission where nbgrader looks for it."""
    shutil.copytree(template, work, symlinks=True, dirs_exist_ok=True)
    (work / "tmp").mkdir(exist_ok=True)
    course = work / "course"
    folder = course / "grading" / "submitted" / settings["student"] / settings["lesson"]
    folder.mkdir(parents=True)
    shutil.copy(submission / f"{settings['lesson']}.ipynb", folder)
    if settings["timestamp"]:
        (folder / "timestamp.txt").write_text(settings["timestamp"])
    return course


def _autograde(settings: dict) -> list[str]:
    return [sys.executable, "-m", "nbgrader", "autograde", settings["lesson"], "--student", settings["student"]]


def _environment(work: Path, settings: dict) -> dict[str, str]:
    """What nbgrader and the kernel see: scratch folders, smoke mode, quiet libraries."""
    keep = ("PATH", "LANG", "LC_ALL", "TZ")
    env = {key: value for key, value in os.environ.items() if key in keep}
    home = work / "home"
    env.update(HOME=str(home), TMPDIR=str(work / "tmp"), PYTHONPATH=str(work / "lib"), COURSE_SMOKE="1",
               COURSE_CHECKPOINTS=str(work / "checkpoints"), COURSE_DATA=settings["data"] or "",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
               PYTHONWARNINGS="ignore", TQDM_DISABLE="1", MPLBACKEND="Agg", OMP_NUM_THREADS=str(settings["threads"]),
               MPLCONFIGDIR=str(home / ".matplotlib"))
    return env


def _limit(limits: Limits) -> None:
    """Per-process limits, inherited by everything the grading run starts (a limit the system refuses to lower,
    as macOS may, is left as it is)."""
    for kind, value in ((resource.RLIMIT_DATA, limits.memory), (resource.RLIMIT_FSIZE, limits.disk),
                        (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            pass


def _executed(course: Path, settings: dict) -> str | None:
    path = (course / "grading" / "autograded" / settings["student"] / settings["lesson"]
            / f"{settings['lesson']}.ipynb")
    try:  # never follow a link a submission may have left in its place
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(descriptor) as handle:
        return handle.read()


# --- inside the sandbox (PID 1) ------------------------------------------------------------------------------------

class Watchdog(threading.Thread):
    """Stops every process of the run when there are too many, or when together they use too much memory."""

    def __init__(self, limits: Limits):
        super().__init__(daemon=True)
        self.limits, self.notes, self.done = limits, [], threading.Event()

    def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self.done.wait(0.02):
            pids = [name for name in os.listdir("/proc") if name.isdigit()]
            if len(pids) > self.limits.processes:
                self.notes.append(f"more than {self.limits.processes} processes: the run was stopped")
            else:
                resident = 0
                for pid in pids:
                    try:
                        with open(f"/proc/{pid}/statm") as statm:
                            resident += int(statm.read().split()[1]) * page
                    except (OSError, IndexError, ValueError):
                        pass
                if resident <= self.limits.memory:
                    continue
                self.notes.append(f"more than {self.limits.memory >> 20} MiB of memory in all: the run was stopped")
            kill_all()
            return


def kill_all() -> bool:
    """Kill every other process of the sandbox (but its PID 1, as seen from it); whether there was any."""
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def not_dumpable() -> None:
    """Nothing else in the sandbox may read or trace this process (its memory, environment and files)."""
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def inside(settings: dict) -> None:
    not_dumpable()
    limits = Limits(**settings["limits"])
    work = INSIDE / "work"
    course = _prepare(INSIDE / "template", INSIDE / "submission", work, settings)
    log = work / "nbgrader.log"
    watchdog = Watchdog(limits)
    token = secrets.token_hex(16)
    with open(log, "w") as handle:
        environment = {**_environment(work, settings), MARKER: str(work), TOKEN: token}
        process = subprocess.Popen(_autograde(settings), cwd=course, env=environment, stdin=subprocess.DEVNULL,
                                   stdout=handle, stderr=subprocess.STDOUT, preexec_fn=lambda: _limit(limits))
    watchdog.start()
    while True:  # as PID 1, reap every process, orphans included, until nbgrader has ended
        pid, status = os.waitpid(-1, 0)
        if pid == process.pid:
            break
    watchdog.done.set()
    while True:  # then stop and reap whatever is left
        kill_all()
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    text = log.read_text(errors="replace") if log.is_file() and not log.is_symlink() else ""
    executed = _signed(_executed(course, settings), token) if status == 0 and not watchdog.notes else None
    notes = watchdog.notes if executed or watchdog.notes else [UNFINISHED]
    print(json.dumps({"executed": executed, "log": text[-20000:], "notes": notes}))


def _signed(executed: str | None, token: str) -> str | None:
    """The executed notebook without its token, if it carries this run's token (written by nbgrader once the whole
    notebook ran); None otherwise, as for a copy nbgrader made before running it."""
    try:
        notebook = json.loads(executed or "")
        if notebook["metadata"].pop(SIGNED, None) == token:
            return json.dumps(notebook, indent=1)
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    return None


if __name__ == "__main__" and sys.argv[1:2] == ["--inside"]:
    inside(json.loads(sys.argv[2]))
