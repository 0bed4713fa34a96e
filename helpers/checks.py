"""Sanity checks for students: each raises ``AssertionError`` saying what was expected and what was got."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def _hint(hint: str) -> str:
    return f" {hint}" if hint else ""


def check_tensor(value: object, name: str = "value") -> None:
    """``value`` must be a ``torch.Tensor``."""
    if not isinstance(value, torch.Tensor):
        raise AssertionError(f"{name} should be a torch.Tensor; got {type(value).__name__}.")


def check_shape(tensor: torch.Tensor, expected: Sequence[int | None], name: str = "tensor", hint: str = "") -> None:
    """``tensor.shape`` must equal ``expected``; ``None`` in ``expected`` matches any size."""
    check_tensor(tensor, name)
    got = tuple(tensor.shape)
    expected = tuple(expected)
    if len(got) != len(expected) or any(e is not None and e != g for e, g in zip(expected, got)):
        sizes = ["any" if e is None else str(e) for e in expected]
        shown = "(" + ", ".join(sizes) + ("," if len(sizes) == 1 else "") + ")"
        raise AssertionError(f"{name} has the wrong shape: expected {shown}, got {got}.{_hint(hint)}")


def check_dtype(tensor: torch.Tensor, expected: torch.dtype, name: str = "tensor", hint: str = "") -> None:
    """``tensor.dtype`` must equal ``expected``."""
    check_tensor(tensor, name)
    if tensor.dtype != expected:
        raise AssertionError(f"{name} has the wrong dtype: expected {expected}, got {tensor.dtype}.{_hint(hint)}")


def check_range(tensor: torch.Tensor, low: float, high: float, name: str = "tensor", hint: str = "") -> None:
    """Every value of ``tensor`` must lie in ``[low, high]`` (and none may be NaN)."""
    check_tensor(tensor, name)
    values = tensor.detach().float()
    if torch.isnan(values).any():
        raise AssertionError(f"{name} contains NaN values.{_hint(hint)}")
    got_low, got_high = values.min().item(), values.max().item()
    if got_low < low or got_high > high:
        raise AssertionError(f"{name} should lie in [{low}, {high}]; got values from {got_low:.4g} to "
                             f"{got_high:.4g}.{_hint(hint)}")


def check_close(got: torch.Tensor | float, expected: torch.Tensor | float, name: str = "value",
                rtol: float = 1e-4, atol: float = 1e-6, hint: str = "") -> None:
    """``got`` must equal ``expected`` up to ``rtol``/``atol`` (scalars or tensors of the same shape)."""
    if isinstance(got, torch.Tensor) or isinstance(expected, torch.Tensor):
        got_t = torch.as_tensor(got).detach().double().cpu()
        expected_t = torch.as_tensor(expected).detach().double().cpu()
        if got_t.shape != expected_t.shape:
            raise AssertionError(f"{name} has the wrong shape: expected {tuple(expected_t.shape)}, "
                                 f"got {tuple(got_t.shape)}.{_hint(hint)}")
        if not torch.allclose(got_t, expected_t, rtol=rtol, atol=atol):
            worst = (got_t - expected_t).abs().argmax()
            raise AssertionError(
                f"{name} is wrong: expected {expected_t.flatten()[worst].item():.6g}, got "
                f"{got_t.flatten()[worst].item():.6g} (the largest of the differences, at flat index "
                f"{worst.item()}).{_hint(hint)}")
        return
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        raise AssertionError(f"{name} should be a number; got {type(got).__name__}.{_hint(hint)}")
    if abs(got - expected) > atol + rtol * abs(expected):
        raise AssertionError(f"{name} is wrong: expected {expected:.6g}, got {got:.6g}.{_hint(hint)}")
