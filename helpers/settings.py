"""The smoke switch: one place that decides how much training a notebook does.

Full mode is the default for students. Smoke mode shrinks every lesson to a few seconds of training so that the
notebooks can run under the tests, CI and nbgrader. It is on when ``COURSE_SMOKE`` is set to a true value, or,
when ``COURSE_SMOKE`` is unset, whenever nbgrader executes the notebook (nbgrader sets ``NBGRADER_EXECUTION``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

SMOKE_VARIABLE = "COURSE_SMOKE"
NBGRADER_VARIABLE = "NBGRADER_EXECUTION"
HEADLESS_VARIABLES = ("COURSE_HEADLESS", "CI", NBGRADER_VARIABLE)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

# What smoke mode keeps of a lesson: one pass over a small slice of the data.
SMOKE_EPOCHS = 1
SMOKE_TRAIN_IMAGES = 1024
SMOKE_TEST_IMAGES = 512
# What smoke mode keeps of an evaluation that costs much per image (thousands of samples of z for each image).
SMOKE_EVALUATION_IMAGES = 32


def smoke_mode() -> bool:
    """Whether notebooks should train in the short smoke mode (see the module docstring)."""
    value = os.environ.get(SMOKE_VARIABLE)
    if value is None:
        return bool(os.environ.get(NBGRADER_VARIABLE))
    value = value.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{SMOKE_VARIABLE} must be 1 or 0 (also true/false, yes/no, on/off); got {value!r}.")


SMOKE_NOTE = "[smoke mode: a quick run, so this figure is not the lesson's result; run in full mode to see it]"


def trained_result(text: str) -> str:
    """``text`` as a notebook should print a figure that only means something after full training.

    In smoke mode the text gets ``SMOKE_NOTE`` on a line of its own after it, so that a number from a one-epoch run
    on a slice of the data is never read as the lesson's result; in full mode the text is returned unchanged.
    """
    return f"{text}\n{SMOKE_NOTE}" if smoke_mode() else text


def evaluation_images(full: int) -> int:
    """How many test images a costly evaluation uses: ``full`` in full mode, at most ``SMOKE_EVALUATION_IMAGES``
    in smoke mode."""
    if full < 1:
        raise ValueError(f"an evaluation needs at least one image; got {full}.")
    return min(full, SMOKE_EVALUATION_IMAGES) if smoke_mode() else full


def headless() -> bool:
    """Whether nobody is watching the notebook run (tests, CI, grading): interactive widgets are then skipped.

    True when any of ``COURSE_HEADLESS``, ``CI`` or ``NBGRADER_EXECUTION`` is set to a value other than 0/false/no/off.
    """
    return any(os.environ.get(name, "").strip().lower() not in _FALSE for name in HEADLESS_VARIABLES)


@dataclass(frozen=True)
class Sizes:
    """How much a notebook trains: epochs, batch size, and how many images of each split it uses.

    ``train_images`` and ``test_images`` are ``None`` when the whole split is used.
    """

    epochs: int
    batch_size: int
    train_images: int | None
    test_images: int | None
    smoke: bool

    def batches_per_epoch(self, n_images: int) -> int:
        """Number of optimiser steps one epoch over ``n_images`` images takes (the last batch may be short)."""
        return -(-n_images // self.batch_size)

    def __str__(self) -> str:
        mode = "smoke mode (a quick check, not a real run)" if self.smoke else "full mode"
        train = "all" if self.train_images is None else f"{self.train_images:,}"
        test = "all" if self.test_images is None else f"{self.test_images:,}"
        return (f"{mode}: {self.epochs} epoch(s), batch size {self.batch_size}, "
                f"{train} training images, {test} test images")


def sizes(epochs: int, batch_size: int = 128) -> Sizes:
    """The sizes a lesson trains with: the given full-mode ``epochs`` on all data, or the smoke-mode slice."""
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be positive; got epochs={epochs}, batch_size={batch_size}.")
    if smoke_mode():
        return Sizes(SMOKE_EPOCHS, batch_size, SMOKE_TRAIN_IMAGES, SMOKE_TEST_IMAGES, smoke=True)
    return Sizes(epochs, batch_size, None, None, smoke=False)
