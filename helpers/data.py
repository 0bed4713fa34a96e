"""MNIST as in-memory tensors, loaded through ``torchvision.datasets.MNIST``, and fast batching.

Images are float32 in [0, 1] (grey levels, not binarised) with shape ``(N, 1, 28, 28)``; labels are int64.
Where the files live, in this order: the ``root`` argument, the ``COURSE_DATA`` environment variable,
``/content/data`` on Colab, else the ``data/`` folder of the course. Missing files are downloaded.
"""

from __future__ import annotations

import gzip
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
from torchvision import datasets

DATA_VARIABLE = "COURSE_DATA"
COLAB_DATA = Path("/content/data")
COURSE_DATA = Path(__file__).resolve().parent.parent / "data"
SPLITS = ("train", "test")
RAW_FILES = tuple(name for name, _ in datasets.MNIST.resources)  # the four .gz files


class MNISTUnavailableError(FileNotFoundError):
    """MNIST is neither on disk nor downloadable; the message says which files to put where."""


def on_colab() -> bool:
    """Whether this code runs in a Google Colab kernel."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def course_folder(variable: str, colab: Path, course: Path, given: str | os.PathLike | None = None) -> Path:
    """``given`` if set, else the folder in the environment ``variable``, else ``colab`` on Colab, else ``course``."""
    if given is None:
        given = os.environ.get(variable) or None
    if given is not None:
        return Path(given).expanduser().resolve()
    return colab if on_colab() else course


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The folder that holds (or will hold) ``MNIST/raw/``: ``root``, else $COURSE_DATA, else Colab's, else the course's."""
    return course_folder(DATA_VARIABLE, COLAB_DATA, COURSE_DATA, root)


@dataclass
class ImageSet:
    """Images ``(N, C, H, W)`` and their labels ``(N,)``, kept together on one device."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device: torch.device | str) -> ImageSet:
        return ImageSet(self.images.to(device), self.labels.to(device))

    def batches(self, batch_size: int, shuffle: bool = False,
                generator: torch.Generator | None = None) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield ``(images, labels)`` batches by slicing the tensors: no per-image Python work."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive; got {batch_size}.")
        n = len(self)
        if shuffle:
            order = torch.randperm(n, generator=generator).to(self.images.device)
            for start in range(0, n, batch_size):
                index = order[start:start + batch_size]
                yield self.images[index], self.labels[index]
        else:
            for start in range(0, n, batch_size):
                yield self.images[start:start + batch_size], self.labels[start:start + batch_size]


def load_mnist(split: str = "train", *, root: str | os.PathLike | None = None, subset: int | None = None,
               device: torch.device | str = "cpu") -> ImageSet:
    """Load one MNIST split into memory, downloading it first if needed.

    ``subset`` keeps the first ``subset`` images (MNIST is already in random order); ``None`` keeps them all.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got {split!r}.")
    if subset is not None and (isinstance(subset, bool) or not isinstance(subset, int) or subset < 1):
        raise ValueError(f"subset must be a positive whole number of images, or None for all; got {subset!r}.")
    folder = data_root(root)
    _ensure_files(folder)
    mnist = datasets.MNIST(folder, train=split == "train", download=False)
    images, labels = mnist.data, mnist.targets
    if subset is not None:
        images, labels = images[:subset], labels[:subset]
    images = images.unsqueeze(1).to(torch.float32).div_(255)
    return ImageSet(images, labels.to(torch.int64)).to(device)


def _raw_folder(root: Path) -> Path:
    return root / "MNIST" / "raw"


def _unpacked(raw: Path) -> list[Path]:
    return [raw / name.removesuffix(".gz") for name in RAW_FILES]


def _ensure_files(root: Path) -> None:
    """Make sure the four MNIST files are unpacked under ``root``: unpack ``.gz`` files found there, download the rest.

    Nothing half-written is left behind: files are unpacked under a temporary name and renamed when complete, and
    if the download fails every file and folder it had added is removed again.
    """
    raw = _raw_folder(root)
    for unpacked in _unpacked(raw):
        packed = unpacked.with_name(unpacked.name + ".gz")
        if not unpacked.exists() and packed.exists():
            _unpack(packed, unpacked)
    if all(path.exists() for path in _unpacked(raw)):
        return
    created = [folder for folder in (raw, raw.parent, root) if not folder.exists()]
    existed = set(raw.iterdir()) if raw.is_dir() else set()
    try:
        raw.mkdir(parents=True, exist_ok=True)
        datasets.MNIST(root, train=True, download=True)
    except BaseException as error:
        for path in set(raw.iterdir()) - existed if raw.is_dir() else ():
            path.unlink(missing_ok=True)
        for folder in created:  # innermost first
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        if not isinstance(error, Exception):  # Ctrl-C, or a kernel shutting down
            raise
        files = ", ".join(RAW_FILES)
        raise MNISTUnavailableError(
            f"MNIST is not in {raw} and could not be downloaded ({_reason(error)}). "
            f"Put the files {files} into {raw}/ (or set {DATA_VARIABLE} to a folder that has MNIST/raw/ with "
            f"them), then run this again."
        ) from None


def _unpack(packed: Path, unpacked: Path) -> None:
    partial = unpacked.with_name(unpacked.name + ".partial")
    try:
        with gzip.open(packed, "rb") as source, open(partial, "wb") as target:
            shutil.copyfileobj(source, target)
        os.replace(partial, unpacked)
    finally:
        partial.unlink(missing_ok=True)


def _reason(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0].rstrip(':')}" if text else type(error).__name__
