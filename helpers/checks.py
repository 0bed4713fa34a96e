"""Sanity checks for students: each raises ``AssertionError`` saying what was expected and what was got."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Sequence

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


def check_stages(body: torch.nn.Module, inputs: torch.Tensor, expected: Sequence[Sequence[int]], name: str = "body",
                 hint: str = "") -> torch.Tensor:
    """Run ``inputs`` through the ``nn.Sequential`` ``body`` layer by layer; the output of each block (a block ends
    with an ``nn.ReLU``) must have the next shape of ``expected``. Returns the output of the last layer."""
    if not isinstance(body, torch.nn.Sequential):
        raise AssertionError(f"{name} should be an nn.Sequential; got {type(body).__name__}.{_hint(hint)}")
    outputs, block = inputs, 0
    for layer in body:
        outputs = layer(outputs)
        if isinstance(layer, torch.nn.ReLU):
            block += 1
            if block > len(expected):
                raise AssertionError(f"{name} has more than {len(expected)} ReLUs: one per block.{_hint(hint)}")
            check_shape(outputs, expected[block - 1], f"the output of {name} block {block} (after its ReLU)", hint)
    if block != len(expected):
        raise AssertionError(f"{name} should have {len(expected)} blocks, each ending in nn.ReLU(); found "
                             f"{block}.{_hint(hint)}")
    return outputs


class NotDoneError(AssertionError):
    """An exercise still has a ``...`` placeholder where the answer goes."""


def _functions(answer: object) -> list[tuple[str, Callable]]:
    """``answer`` itself if it is a function, else the methods its class defines, each with a readable name."""
    if inspect.isclass(answer):
        methods = [(f"{answer.__name__}.{name}", getattr(value, "__func__", value))
                   for name, value in vars(answer).items()]
        return [(name, method) for name, method in methods if inspect.isfunction(method)]
    return [(getattr(answer, "__name__", repr(answer)), answer)]


def _targets(node: ast.AST) -> list[str]:
    """The names and attributes (``x``, ``self.body``) that an assignment target binds."""
    if isinstance(node, (ast.Tuple, ast.List)):
        return [name for element in node.elts for name in _targets(element)]
    if isinstance(node, ast.Starred):
        return _targets(node.value)
    return [ast.unparse(node)]


def _placeholders(function: Callable) -> list[str]:
    """Names that ``function`` only ever sets to ``...``: a stub line such as ``loss = ...`` never answered."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return []  # no source to read (a built-in, or code made at run time): nothing to say
    stubbed, answered = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                values = node.value.elts if isinstance(node.value, ast.Tuple) else None
                elements = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
                if values is None or len(values) != len(elements):
                    values = [node.value] * len(elements)
                for element, value in zip(elements, values):
                    placeholder = isinstance(value, ast.Constant) and value.value is Ellipsis
                    (stubbed.extend if placeholder else answered.update)(_targets(element))
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
            answered.update(_targets(node.target))
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            answered.update(_targets(node.target))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            answered.update(_targets(node.optional_vars))
    return list(dict.fromkeys(name for name in stubbed if name not in answered))


def require_done(exercise: int, *answers: object) -> None:
    """Raise ``NotDoneError`` if a function or class of exercise ``exercise`` still holds a ``...`` placeholder.

    A check cell calls this first, so an untouched exercise says it is not done yet instead of failing somewhere
    inside the student's code with an error about the ``ellipsis`` object.
    """
    left = [f"{name} ({', '.join(names)})" for answer in answers for name, function in _functions(answer)
            if (names := _placeholders(function))]
    if left:
        raise NotDoneError(f"Exercise {exercise} is not done yet: replace the `...` in {'; '.join(left)}.")
