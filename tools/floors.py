"""The oldest versions the course says it runs on: each dependency's floor in pyproject.toml, pinned exactly.

``python tools/floors.py`` prints them as pip constraints (``torch==2.6`` for ``torch>=2.6``). ``make test-oldest``
installs the course with these constraints into ``.venv-oldest`` and runs the test suite there: a floor is true when
that run passes. Raise a floor when the course starts to need something newer, then run ``make test-oldest``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = re.compile(r"(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)>=(?P<version>[0-9]+(\.[0-9]+)*)")


def floors() -> dict[str, str]:
    """Each dependency of the package and of its extras, with its floor: ``{"torch": "2.6", ...}``."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    found = {}
    for requirement in requirements:
        match = FLOOR.fullmatch(requirement.replace(" ", ""))
        if match is None:
            raise ValueError(f"pyproject.toml requires {requirement!r}; write each dependency as a floor, name>=version, "
                             "so that make test-oldest can check it.")
        found[match["name"].lower()] = match["version"]
    return found


if __name__ == "__main__":
    print("\n".join(f"{name}=={version}" for name, version in floors().items()))
