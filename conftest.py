"""Test-wide settings: lessons run in smoke mode and the data folder is an absolute path.

Notebook kernels started by nbval and nbgrader inherit these variables; their working directory is the lesson's
folder, so a relative COURSE_DATA (as in `COURSE_DATA=../shared/data/mnist-ci make test`) is made absolute here.
"""

import os
from pathlib import Path

os.environ["COURSE_SMOKE"] = "1"
if os.environ.get("COURSE_DATA"):
    os.environ["COURSE_DATA"] = str(Path(os.environ["COURSE_DATA"]).expanduser().resolve())
