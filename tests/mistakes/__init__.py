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


@dataclass(frozen=True)
class Mistake:
    exercise: str  # the solution cell's grade_id
    what: str      # the mistake in a few words, as a teacher would name it
    find: str
    replace: str
    message: str   # text the failed visible check must show

    def apply(self, answer: str) -> str:
        assert self.find in answer, f"{self.exercise}: {self.what!r} does not apply: {self.find!r} not found"
        return answer.replace(self.find, self.replace)


@dataclass(frozen=True)
class Tuned:
    exercise: str
    what: str
    find: str
    replace: str

    apply = Mistake.apply


LESSON_MODULES = {
    "01_autoencoder": "lesson01",
    "02_denoising": "lesson02",
    "03_kl_divergence": "lesson03",
    "04_conv_vae": "lesson04",
    "05_interpolation": "lesson05",
}


def _load(attribute: str) -> dict[str, list]:
    return {lesson: list(getattr(importlib.import_module(f"{__name__}.{module}"), attribute))
            for lesson, module in LESSON_MODULES.items()}


MISTAKES: dict[str, list[Mistake]] = _load("MISTAKES")
TUNED: dict[str, list[Tuned]] = _load("TUNED")
