"""Test-wide settings: lessons run in smoke mode and headless (no interactive widgets), the data folder is an
absolute path, and checkpoints that lessons save go to a temporary folder rather than the course's own
``checkpoints/``.

Notebook kernels started by nbval and nbgrader inherit these variables; their working directory is the lesson's
folder, so a relative COURSE_DATA (as in `COURSE_DATA=../shared/data/mnist-ci make test`) is made absolute here.
"""

import os
import tempfile
from pathlib import Path

os.environ["COURSE_SMOKE"] = "1"
os.environ["COURSE_HEADLESS"] = "1"
os.environ["COURSE_CHECKPOINTS"] = tempfile.mkdtemp(prefix="course-checkpoints-")
if os.environ.get("COURSE_DATA"):
    os.environ["COURSE_DATA"] = str(Path(os.environ["COURSE_DATA"]).expanduser().resolve())
