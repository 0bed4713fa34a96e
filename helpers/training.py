"""The epoch loop the lessons share. What happens in one step (the interesting part) stays in the notebook."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from tqdm.auto import tqdm

from .data import ImageSet
from .settings import Sizes


class History(dict):
    """Per-epoch losses: ``"train"`` and, when evaluated, ``"test"``; ``seconds`` is the time spent training.

    ``seconds`` counts the training steps only, not the evaluations, so two models trained for equal ``seconds``
    had equal training time whatever each one's evaluation cost.
    """

    seconds: float = 0.0


def fit(step: Callable[[torch.Tensor], float], train: ImageSet, sizes: Sizes, *,
        evaluate: Callable[[], float] | None = None, generator: torch.Generator | None = None,
        desc: str = "training") -> History:
    """Call ``step(images)`` on every shuffled batch for ``sizes.epochs`` epochs; return the loss history.

    ``step`` gets a batch of images and returns its loss as a float. The history holds the mean training loss of
    each epoch under ``"train"`` and, when ``evaluate`` is given, its value after each epoch under ``"test"``.
    The progress bar is off in smoke mode, so graded and tested runs print nothing.
    """
    history = History(train=[])
    if evaluate is not None:
        history["test"] = []
    bar = tqdm(range(sizes.epochs), desc=desc, unit="epoch", disable=sizes.smoke)
    for _ in bar:
        total, count, start = 0.0, 0, time.perf_counter()
        for images, _labels in train.batches(sizes.batch_size, shuffle=True, generator=generator):
            total += step(images) * len(images)
            count += len(images)
        history.seconds += time.perf_counter() - start
        history["train"].append(total / count)
        summary = {"train": f"{history['train'][-1]:.4g}"}
        if evaluate is not None:
            history["test"].append(evaluate())
            summary["test"] = f"{history['test'][-1]:.4g}"
        bar.set_postfix(summary)
    return history
