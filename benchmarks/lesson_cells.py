"""Where each lesson's time goes: run solution notebooks in a fresh kernel and print the slowest cells.

Usage: ``python benchmarks/lesson_cells.py [--smoke] [--top 8] [lesson ...]`` (all lessons by default), on the data that
``COURSE_DATA`` points to. Lessons run in order and share one temporary checkpoint folder, as in the course, so
that lesson 5 explores the model lesson 4 saved. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from release import lessons  # noqa: E402


def cell_seconds(cell) -> float:
    """Wall time of an executed cell, from the timestamps nbclient records in its metadata."""
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.status.busy"), timing.get("iopub.status.idle")
    if not (start and end):
        return 0.0
    return (datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(start.replace("Z", "+00:00"))
            ).total_seconds()


def profile(lesson: str, top: int) -> float:
    notebook = nbformat.read(ROOT / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=3600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "solutions" / lesson)}}).execute()
    total = time.perf_counter() - start
    timed = sorted(((cell_seconds(c), c) for c in notebook.cells if c.cell_type == "code"), key=lambda t: -t[0])
    print(f"\n{lesson}: {total:.1f} s in all (kernel start included)")
    for seconds, cell in timed[:top]:
        first = next((line for line in cell.source.splitlines() if line.strip() and not line.startswith("#")), "")
        print(f"  {seconds:7.1f} s  {seconds / total:4.0%}  {cell.id:<28} {first[:70]}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", default=lessons())
    parser.add_argument("--smoke", action="store_true", help="profile smoke mode instead of full mode")
    parser.add_argument("--top", type=int, default=8, help="how many of the slowest cells to list per lesson")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as checkpoints:
        os.environ.update(COURSE_SMOKE="1" if options.smoke else "0", COURSE_HEADLESS="1",
                          COURSE_CHECKPOINTS=checkpoints)
        totals = {lesson: profile(lesson, options.top) for lesson in options.lessons}
    print("\n" + ", ".join(f"{lesson} {seconds:.0f} s" for lesson, seconds in totals.items())
          + f"; {sum(totals.values()) / 60:.1f} min in all")


if __name__ == "__main__":
    main()
