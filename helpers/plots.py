"""Figures the lessons share. Each function returns a closed matplotlib figure (``animation``: an HTML player).

A returned figure shows once when it is the last expression of a notebook cell (or via ``display(fig)``), and
nothing piles up in pyplot's list of open figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation
import numpy as np
import torch
from matplotlib.figure import Figure
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score, roc_curve
from torchvision.utils import make_grid

from . import settings

DIGIT_COLOURS = "tab10"


def _grid(images: torch.Tensor, nrow: int, signed: bool = False) -> np.ndarray:
    images = images.detach().float().cpu()
    if images.dim() == 3:  # (N, H, W) -> (N, 1, H, W)
        images = images.unsqueeze(1)
    if signed:  # each image on its own symmetric scale: -max|w| -> 0, 0 -> 0.5, +max|w| -> 1
        largest = images.abs().flatten(1).amax(dim=1).clamp_min(1e-12).reshape(-1, 1, 1, 1)
        images = 0.5 + 0.5 * images / largest
    images = images.clamp(0, 1)
    grid = make_grid(images, nrow=nrow, padding=2, pad_value=1.0)
    return grid.permute(1, 2, 0).numpy()


def _finish(fig: Figure) -> Figure:
    plt.close(fig)
    return fig


def show_images(images: torch.Tensor, nrow: int = 10, title: str | None = None, scale: float = 0.8) -> Figure:
    """A grid of images ``(N, 1, H, W)`` in [0, 1], ``nrow`` per row."""
    rows = -(-len(images) // nrow)
    fig, ax = plt.subplots(figsize=(scale * min(nrow, len(images)), scale * rows + (0.4 if title else 0)))
    ax.imshow(_grid(images, nrow), cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return _finish(fig)


def image_rows(rows: Mapping[str, torch.Tensor], n: int = 10, scale: float = 0.8, signed: bool = False,
               title: str | None = None) -> Figure:
    """Rows of images with a label each, e.g. ``{"original": x, "reconstruction": x_hat}``; the first ``n`` of each.

    ``signed=True`` shows weights rather than pixels: each image on its own scale, negative values blue, zero white,
    positive values red.
    """
    fig, axes = plt.subplots(len(rows), 1, figsize=(scale * n, scale * len(rows) + 0.2), squeeze=False)
    for ax, (label, images) in zip(axes[:, 0], rows.items()):
        ax.imshow(_grid(images[:n], nrow=n, signed=signed), cmap="RdBu_r" if signed else "gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _finish(fig)


def grid_points(xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """The points of the grid ``xs`` by ``ys`` as rows ``(x, y)``, in the order of an image grid with ``len(xs)``
    images per row: the top row has the largest ``y``, and ``x`` grows from left to right. Shape ``(len(ys) * len(xs), 2)``.
    """
    down, across = torch.meshgrid(ys.flip(0), xs, indexing="ij")
    return torch.stack([across.flatten(), down.flatten()], dim=1)


def latent_scatter(codes: torch.Tensor, labels: torch.Tensor, dims: int = 2, title: str | None = None,
                   project: bool = True) -> Figure:
    """Codes ``(N, D)`` projected on their first ``dims`` (2 or 3) principal components, coloured by digit.

    ``project=False`` plots codes that have exactly ``dims`` coordinates as they are, with no projection.
    """
    if dims not in (2, 3):
        raise ValueError(f"dims must be 2 or 3; got {dims}.")
    codes = codes.detach().float().cpu().reshape(len(codes), -1).numpy()
    labels = labels.detach().cpu().numpy()
    if codes.shape[1] < dims:
        raise ValueError(f"codes have {codes.shape[1]} dimension(s); a {dims}-D plot needs at least {dims}.")
    if project:
        pca = PCA(n_components=dims).fit(codes)
        points = pca.transform(codes)
        axis_names = [f"PC{i + 1} ({share:.0%} of variance)" for i, share in enumerate(pca.explained_variance_ratio_)]
    elif codes.shape[1] == dims:
        points, axis_names = codes, [f"$z_{i + 1}$" for i in range(dims)]
    else:
        raise ValueError(f"codes have {codes.shape[1]} dimensions: a {dims}-D plot without projection needs exactly "
                         f"{dims}. Use project=True to see them through PCA.")
    fig = plt.figure(figsize=(6.5, 5.5))
    ax = fig.add_subplot(projection="3d" if dims == 3 else None)
    scatter = ax.scatter(*points.T, c=labels, cmap=DIGIT_COLOURS, vmin=-0.5, vmax=9.5, s=4, alpha=0.7)
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    if dims == 3:
        ax.set_zlabel(axis_names[2])
    fig.colorbar(scatter, ax=ax, ticks=range(10), label="digit", shrink=0.8)
    ax.set_title(title or (f"{codes.shape[1]}-D codes, first {dims} principal components" if project
                           else f"{dims}-D codes, as they are"))
    return _finish(fig)


def curves(lines: Mapping[str, Sequence[float]], x: Sequence[float] | None = None, xlabel: str = "epoch",
           ylabel: str = "loss", logy: bool = False, title: str | None = None,
           levels: Mapping[str, float] | None = None, logx: bool = False) -> Figure:
    """One line per named series, e.g. ``{"train": [...], "test": [...]}``, against ``x`` (default 1, 2, 3, ...).

    ``levels`` adds dashed horizontal reference lines, e.g. ``{"typical value": 4.0}``.
    """
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name, values in lines.items():
        xs = np.arange(1, len(values) + 1) if x is None else np.asarray(x)
        if len(xs) != len(values):
            raise ValueError(f"{name!r} has {len(values)} values but x has {len(xs)}.")
        ax.plot(xs, values, marker="o" if len(values) < 30 else None, label=name)
    for (name, value), style in zip((levels or {}).items(), ("--", ":", "-.", (0, (5, 5)))):
        ax.axhline(value, color="grey", linestyle=style, linewidth=1, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    if settings.smoke_mode() and xlabel == "epoch":  # a one-epoch run has no curve to read
        title = f"{title or 'loss per epoch'}\n{settings.SMOKE_NOTE}"
    if title:
        ax.set_title(title, fontsize=9 if "\n" in title else None)
    ax.grid(alpha=0.3)
    if levels:  # reference lines cross the whole plot, so no place inside is sure to be free: the legend goes beside it
        fig.set_figwidth(8)
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
    else:
        ax.legend()
    fig.tight_layout()
    return _finish(fig)


def contour_map(values: torch.Tensor | np.ndarray, x: Sequence[float], y: Sequence[float], xlabel: str = "x",
                ylabel: str = "y", levels: int | Sequence[float] = 10, label: str | None = None,
                mark: tuple[float, float] | None = None, title: str | None = None) -> Figure:
    """Filled, labelled contours of ``values`` (shape ``(len(y), len(x))``) over the grid ``x`` by ``y``.

    ``levels`` is a number of levels or the levels themselves; ``label`` names the colour bar; ``mark`` draws a
    point, e.g. a minimum.
    """
    values = values.detach().float().cpu().numpy() if isinstance(values, torch.Tensor) else np.asarray(values)
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if values.shape != (len(ys), len(xs)):
        raise ValueError(f"values should have shape (len(y), len(x)) = ({len(ys)}, {len(xs)}); got {values.shape}.")
    fig, ax = plt.subplots(figsize=(6, 4.5))
    filled = ax.contourf(xs, ys, values, levels=levels, cmap="viridis")
    lines = ax.contour(xs, ys, values, levels=filled.levels, colors="white", linewidths=0.6)
    ax.clabel(lines, fontsize=8, fmt="%.3g")
    fig.colorbar(filled, ax=ax, label=label or "")
    if mark is not None:
        ax.plot(*mark, marker="*", color="red", markersize=12, linestyle="none")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return _finish(fig)


def roc_curves(normal_scores: torch.Tensor, anomaly_scores: Mapping[str, torch.Tensor],
               title: str | None = None) -> Figure:
    """ROC curves of an anomaly score: ``normal_scores`` of normal images against each named set of anomalies'
    scores (higher means more anomalous), each labelled with its area under the curve (AUC)."""
    fig, ax = plt.subplots(figsize=(5, 4.5))
    normal = normal_scores.detach().float().cpu().numpy()
    for name, scores in anomaly_scores.items():
        scores = scores.detach().float().cpu().numpy()
        truth = np.r_[np.zeros(len(normal)), np.ones(len(scores))]
        everything = np.r_[normal, scores]
        false_positives, true_positives, _ = roc_curve(truth, everything)
        ax.plot(false_positives, true_positives, label=f"{name} (AUC {roc_auc_score(truth, everything):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="chance (AUC 0.5)")
    ax.set(xlabel="normal images flagged (false-positive rate)", ylabel="anomalies flagged (true-positive rate)",
           xlim=(0, 1), ylim=(0, 1.01), aspect="equal")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return _finish(fig)


def animation(frames: torch.Tensor, interval: int = 80, title: str | None = None, scale: float = 2.5):
    """A player for ``frames`` ``(T, 1, H, W)`` in [0, 1], shown ``interval`` ms apart, as HTML with its own controls.

    The frames are embedded in the notebook (``FuncAnimation.to_jshtml``), so it plays in JupyterLab, Colab and a
    saved HTML file alike, with no interactive backend and no ``plt.pause`` loop.
    """
    from IPython.display import HTML

    if frames.dim() != 4 or frames.shape[1] != 1 or len(frames) < 2:
        raise ValueError(f"frames should have shape (T, 1, H, W) with T >= 2; got {tuple(frames.shape)}.")
    pictures = frames.detach().float().cpu().clamp(0, 1)[:, 0].numpy()
    fig, ax = plt.subplots(figsize=(scale, scale))
    shown = ax.imshow(pictures[0], cmap="gray", vmin=0, vmax=1)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()

    def draw(index: int):
        shown.set_data(pictures[index])
        return (shown,)

    player = FuncAnimation(fig, draw, frames=len(pictures), interval=interval, blit=True)
    page = player.to_jshtml(default_mode="reflect")
    plt.close(fig)
    return HTML(page)


def bars(groups: Mapping[str, Sequence[float]], xlabel: str = "", ylabel: str = "", title: str | None = None) -> Figure:
    """Grouped bars: one colour per named series, e.g. ``{"model A": kl_per_dimension, ...}``, side by side at
    positions 0, 1, 2, ... (all series need the same length)."""
    lengths = {len(values) for values in groups.values()}
    if len(lengths) != 1:
        raise ValueError(f"every series needs the same number of values; got {sorted(lengths)}.")
    positions = np.arange(lengths.pop())
    width = 0.8 / len(groups)
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(positions) * max(1, len(groups) / 2)), 3.5))
    for index, (name, values) in enumerate(groups.items()):
        values = torch.as_tensor(values).detach().float().cpu().numpy()
        ax.bar(positions + (index - (len(groups) - 1) / 2) * width, values, width, label=name)
    ax.set_xticks(positions)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3, axis="y")
    ax.legend()
    fig.tight_layout()
    return _finish(fig)
