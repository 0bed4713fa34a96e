"""Trained models saved by one lesson and reused by a later one.

Checkpoints live in ``$COURSE_CHECKPOINTS`` if set, else ``/content/checkpoints`` on Colab, else the course's
git-ignored ``checkpoints/`` folder. Smoke-mode runs save under their own name, so a quick test run never replaces
a model that was trained in full.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from .data import course_folder
from .settings import smoke_mode

CHECKPOINT_VARIABLE = "COURSE_CHECKPOINTS"
COLAB_CHECKPOINTS = Path("/content/checkpoints")
COURSE_CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"


def checkpoint_dir() -> Path:
    """The folder checkpoints are saved in and loaded from."""
    return course_folder(CHECKPOINT_VARIABLE, COLAB_CHECKPOINTS, COURSE_CHECKPOINTS)


def checkpoint_path(name: str) -> Path:
    """Where the checkpoint ``name`` lives (``name-smoke.pt`` in smoke mode, else ``name.pt``)."""
    if not name or "/" in name or "\\" in name:
        raise ValueError(f"a checkpoint name is a plain file name such as '04_conv_vae'; got {name!r}.")
    return checkpoint_dir() / f"{name}{'-smoke' if smoke_mode() else ''}.pt"


def save(name: str, state: dict[str, Any]) -> Path:
    """Save ``state`` (e.g. ``{"model": model.state_dict(), "config": {...}}``) atomically; return its path."""
    path = checkpoint_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    try:
        torch.save(state, partial)
        os.replace(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)
    return path


def load(name: str, device: torch.device | str = "cpu") -> dict[str, Any] | None:
    """The saved state of ``name`` with its tensors on ``device``, or ``None`` if it was never saved."""
    path = checkpoint_path(name)
    if not path.exists():
        return None
    return torch.load(path, map_location=device, weights_only=True)
