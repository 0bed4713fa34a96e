"""Measure `make grade` on this machine and add the figures to benchmarks/results.json and results.md.

In a temporary course, with generated complete submissions (the solutions with their delimiters removed):

1. one student's submission of every lesson, graded with one worker and with all cores;
2. ``--students`` complete copies of lesson 01's submission (20 by default): with one worker, in the sandbox and
   without it (what the sandbox costs per submission); with all cores; and on a Dask ``LocalCluster`` of as many
   worker processes (what going through Dask costs).

Each figure is the wall time of one ``tools/grade.py`` batch: execution, recording, feedback and CSV export. The
sandbox is on wherever this machine can make one (the record says whether it could).
Usage: ``python benchmarks/grading.py [--students N]`` (``make bench-grading``). ``make bench`` keeps these figures.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "tools")]
import grade  # noqa: E402
import run  # noqa: E402
import sandbox  # noqa: E402
from release import answered, lessons, scratch_course  # noqa: E402


def timed_batch(submissions: dict[str, list[str]], workers: int, mode: str = "auto", cluster: bool = False) -> float:
    """Seconds to grade, in a fresh course, ``submissions`` (student -> lessons, each a complete submission), with
    ``workers`` threads here or, with ``cluster``, on a Dask LocalCluster of ``workers`` processes."""
    selected = sorted({lesson for chosen in submissions.values() for lesson in chosen})
    with tempfile.TemporaryDirectory() as folder:
        root = scratch_course(Path(folder), selected)
        for student, chosen in submissions.items():
            for lesson in chosen:
                target = root / "grading" / "submitted" / student / lesson
                target.mkdir(parents=True)
                release = nbformat.read(root / "notebooks" / lesson / f"{lesson}.ipynb", as_version=4)
                nbformat.write(answered(lesson, release), target / f"{lesson}.ipynb")
        with contextlib.ExitStack() as stack:
            scheduler = None
            if cluster:
                from distributed import LocalCluster
                scheduler = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1,
                                                             dashboard_address=None)).scheduler_address
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                graded = grade.grade(root, selected, workers=workers, mode=mode, scheduler=scheduler)
            seconds = time.perf_counter() - start
    failed = [f"{s.student} {s.lesson}" for s in graded if s.status != "graded" or s.score != s.max_score]
    if failed:
        raise RuntimeError(f"complete submissions did not all score full marks: {failed}")
    where = f"a {workers}-worker LocalCluster" if cluster else f"{workers} worker(s)"
    print(f"{len(graded)} notebooks, {where}, sandbox {mode}: {seconds:.0f} s", flush=True)
    return seconds


def measure(students: int) -> dict:
    cores = os.cpu_count() or 1
    everything = {"student": lessons()}
    copies = {f"student{n:03d}": ["01_autoencoder"] for n in range(students)}
    sandboxed, bare = timed_batch(copies, 1), timed_batch(copies, 1, mode="off")
    return {
        "date": datetime.date.today().isoformat(), "cores": cores, "lessons": lessons(), "students": students,
        "sandbox": sandbox.unavailable() or "bubblewrap",
        "one submission, all lessons": {"1 worker s": timed_batch(everything, 1),
                                        "all cores s": timed_batch(everything, cores)},
        "copies of lesson 01": {"1 worker s": sandboxed, "1 worker, no sandbox s": bare,
                                "all cores s": timed_batch(copies, cores),
                                "LocalCluster s": timed_batch(copies, cores, cluster=True)},
        "sandbox cost %": 100 * (sandboxed / bare - 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=20, help="copies of lesson 01's submission (default 20)")
    figures = measure(parser.parse_args().students)
    path = ROOT / "benchmarks" / "results.json"
    results = json.loads(path.read_text())
    results["grading"] = figures
    path.write_text(json.dumps(results, indent=2) + "\n")
    (ROOT / "benchmarks" / "results.md").write_text(run.report(results))
    print(run.grading_report(figures))


if __name__ == "__main__":
    main()
