"""Trained models saved by one lesson and reused by a later one.

A model is saved as an exported program (``torch.export``): its computation and its weights, in evaluation mode.
A later lesson loads and runs it without the Python class that defined it, so it needs none of the earlier
lesson's code. Checkpoints live in ``$COURSE_CHECKPOINTS`` if set, else ``/content/checkpoints`` on Colab, else the
course's git-ignored ``checkpoints/`` folder. Smoke-mode runs save under their own name, so a quick test run never
replaces a model that was trained in full.
"""

from __future__ import annotations

import contextlib
import copy
import os
import tempfile
import warnings
from pathlib import Path

import torch
from torch import nn

from .data import course_folder
from .settings import smoke_mode

CHECKPOINT_VARIABLE = "COURSE_CHECKPOINTS"
# Some PyTorch releases (2.11, Colab's in 2026) warn about their own read-only buffers while loading an exported
# file (and may while exporting or saving); the file is fine, so the warning would only alarm students.
HARMLESS_EXPORT_WARNING = "The given buffer is not writable"
COLAB_CHECKPOINTS = Path("/content/checkpoints")
COURSE_CHECKPOINTS = Path(__file__).resolve().parent.parent / "checkpoints"


def checkpoint_dir() -> Path:
    """The folder checkpoints are saved in and loaded from."""
    return course_folder(CHECKPOINT_VARIABLE, COLAB_CHECKPOINTS, COURSE_CHECKPOINTS)


def checkpoint_path(name: str) -> Path:
    """Where the checkpoint ``name`` lives (``name-smoke.pt2`` in smoke mode, else ``name.pt2``)."""
    if not name or "/" in name or "\\" in name:
        raise ValueError(f"a checkpoint name is a plain file name such as '04_conv_vae_encoder'; got {name!r}.")
    return checkpoint_dir() / f"{name}{'-smoke' if smoke_mode() else ''}.pt2"


@contextlib.contextmanager
def quiet_buffers():
    """Hide PyTorch's harmless read-only buffer warning (HARMLESS_EXPORT_WARNING), and only that one."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=HARMLESS_EXPORT_WARNING, category=UserWarning)
        yield


def save_module(name: str, module: nn.Module, example: torch.Tensor) -> Path:
    """Export ``module`` in evaluation mode, for inputs shaped like ``example`` with any batch size; return the path.

    The file is written atomically: an interrupted save leaves no file behind.
    """
    # contiguous: weights trained in channels_last (lesson 4) are stored in the plain layout, which saves cleanly
    module = copy.deepcopy(module).cpu().eval().to(memory_format=torch.contiguous_format)
    example = example.detach().cpu()[:1].repeat_interleave(2, dim=0)  # a batch of 1 would fix the batch size
    # strict: traced by TorchDynamo, which keeps len(x) symbolic, so the file runs on any batch size
    batch = torch.export.Dim("batch", min=1)
    path = checkpoint_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial.pt2")
    os.close(handle)
    try:
        with quiet_buffers():
            program = torch.export.export(module, (example,), dynamic_shapes=({0: batch},), strict=True)
            torch.export.save(program, partial)
        os.replace(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)
    return path


def load_module(name: str, device: torch.device | str = "cpu") -> nn.Module | None:
    """The module saved as ``name``, on ``device`` and ready to run (no gradients), or ``None`` if never saved."""
    path = checkpoint_path(name)
    if not path.exists():
        return None
    try:
        with quiet_buffers():
            module = torch.export.load(path).module()
    except Exception as error:
        raise RuntimeError(f"{path} could not be loaded ({type(error).__name__}: {error}); it may come from another "
                           "version of PyTorch. Run the lesson that saved it again, or delete the file.") from None
    module.requires_grad_(False)
    return module.to(device)
