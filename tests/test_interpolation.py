"""Lesson 5 runs on its own: without lesson 4's saved model it explores the VAE it trains itself.

(With lesson 4's model saved, the path nbval takes, since it runs lesson 4 first, it explores that model.)
"""

import nbformat
import pytest
from nbclient import NotebookClient

from course import ROOT, source_path

pytestmark = pytest.mark.slow


def test_lesson_5_runs_without_lesson_4s_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CHECKPOINTS", str(tmp_path))
    notebook = nbformat.read(source_path("05_interpolation"), as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "solutions" / "05_interpolation")}}).execute()
    printed = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.outputs)
    assert "Exploring the VAE trained above (no model saved by lesson 4)." in printed
    assert "lesson 4's VAE" not in printed  # the smoothness table compares only the two models trained here
    assert list(tmp_path.iterdir()) == []  # lesson 5 saves nothing
