"""Wrong answers for every exercise, each written into an otherwise complete lesson by the tests.

- ``Mistake``: a plausible wrong answer, the kind students really hand in (a wrong reduction or axis, a missing 1/2,
  log-std used as log-variance, swapped arguments, train/eval mode, inputs changed in place, tensors made on the CPU,
  a wrong target, an off-by-one shape). Its exercise's visible check must fail on it with a message that contains
  ``message`` (which names the mistake and says what to do), and the exercise must score 0 when graded.
- ``Tuned``: an answer written to pass the visible checks without being right in general (values hard-coded for
  the visible inputs, code that only works for the visible shapes, dtypes, devices, seeds or batch sizes). It must
  pass the visible check and fail the hidden tests: the proof that the hidden tests have a purpose.

Each is a text edit of the exercise's solution as a student would hand it in (``release.answers``): ``find``
must occur in it, and every occurrence is replaced by ``replace``. One module per lesson lists them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from course import LESSONS


@dataclass(frozen=True)
class Tuned:
    exercise: str  # the solution cell's grade_id
    what: str      # the answer in a few words, as a teacher would name it
    find: str
    replace: str

    def apply(self, answer: str) -> str:
        assert self.find in answer, f"{self.exercise}: {self.what!r} does not apply: {self.find!r} not found"
        return answer.replace(self.find, self.replace)


@dataclass(frozen=True)
class Mistake(Tuned):
    message: str   # text the failed visible check must show


def by_exercise(entries: list[Tuned]) -> dict[str, list[Tuned]]:
    """The entries of each exercise, in their order: an entry's index there is its number within its exercise."""
    grouped: dict[str, list[Tuned]] = {}
    for entry in entries:
        grouped.setdefault(entry.exercise, []).append(entry)
    return grouped


def _load(attribute: str) -> dict[str, list]:
    """Each lesson's list, from the module of the lesson's number (``lesson01`` for ``01_autoencoder``)."""
    return {lesson: list(getattr(importlib.import_module(f"{__name__}.lesson{lesson[:2]}"), attribute))
            for lesson in LESSONS}


MISTAKES: dict[str, list[Mistake]] = _load("MISTAKES")
TUNED: dict[str, list[Tuned]] = _load("TUNED")
