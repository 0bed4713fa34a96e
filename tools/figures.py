"""Measured figures in the course's prose, written from one record: benchmarks/results.json.

A figure is marked where it stands, in the README or in a lesson's markdown, as
``<!-- figure PATH ~ FORMAT -->text<!-- /figure -->``. PATH walks the record (``lessons/01_autoencoder/full/seconds``;
list items by number), FORMAT says how to write the value: ``duration`` (``48 s``, ``3 min 12 s``), ``minutes``
(``12.5 min``), ``GB`` (megabytes written as ``1.2 GB``), ``count`` (``60,000``), ``signed`` plus a precision
(``signed .1f`` gives ``+4.3``), ``±`` plus a precision for a figure measured over several seeds (a record entry with
``mean`` and ``sd``: ``± .1f`` gives ``98.9 ± 0.3``), or any Python format spec (``.4f``). The ``~`` keeps
Markdown tables intact (a ``|`` would split a cell), and the comments do not show in rendered Markdown (GitHub,
JupyterLab, Colab).

``python tools/figures.py`` rewrites every marked figure from the record; `make release` runs it first. A test
fails while any figure disagrees with the record.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "benchmarks" / "results.json"
FIGURE = re.compile(r"<!-- figure (?P<path>[^~>]+?) ~ (?P<format>[^>]+?) -->(?P<text>.*?)<!-- /figure -->", re.S)


def lookup(record: dict, path: str):
    """The value at ``path`` (``a/b/0/c``) in ``record``; a clear error names the first missing step."""
    value = record
    for step in path.split("/"):
        try:
            value = value[int(step)] if isinstance(value, list) else value[step]
        except (KeyError, IndexError, ValueError, TypeError):
            raise KeyError(f"the record has no {path!r} (no {step!r}): run `make bench`, or fix the marked figure") from None
    return value


def written(value, form: str) -> str:
    """``value`` written as ``form`` says (see the module docstring)."""
    if form == "duration":
        seconds = round(value)
        return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60} s"
    if form == "minutes":
        return f"{value / 60:.1f} min"
    if form == "GB":
        return f"{value / 1024:.1f} GB"
    if form == "count":
        return f"{value:,}"
    if form.startswith("± "):
        spec = form.removeprefix("± ")
        return f"{format(value['mean'], spec)} ± {format(value['sd'], spec)}"
    if form.startswith("signed "):
        return format(value, "+" + form.removeprefix("signed "))
    return format(value, form)


def _figure(match: re.Match, record: dict) -> str:
    """The figure ``match`` marks, as the record says it should be written."""
    return written(lookup(record, match["path"]), match["format"])


def render(text: str, record: dict) -> str:
    """``text`` with every marked figure rewritten from ``record``."""
    return FIGURE.sub(lambda m: f"<!-- figure {m['path']} ~ {m['format']} -->{_figure(m, record)}<!-- /figure -->", text)


def marked_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "solutions").glob("*/*.ipynb"))]


def _texts(path: Path) -> list[str]:
    """The texts of ``path`` that may hold marked figures: a notebook's markdown cells, or the whole file."""
    if path.suffix == ".ipynb":
        return [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    return [path.read_text()]


def stale(path: Path, record: dict) -> list[str]:
    """The marked figures of ``path`` that disagree with ``record``, as 'path: was -> should be'."""
    return [f"{m['path']}: {m['text']!r} -> {should!r}" for text in _texts(path) for m in FIGURE.finditer(text)
            if m["text"] != (should := _figure(m, record))]


def write(path: Path, record: dict) -> bool:
    """Rewrite the marked figures of ``path``; return whether it changed."""
    if path.suffix == ".ipynb":
        notebook, changed = nbformat.read(path, as_version=4), False
        for cell in notebook.cells:
            if cell.cell_type == "markdown" and (new := render(cell.source, record)) != cell.source:
                cell.source, changed = new, True
        if changed:
            nbformat.write(notebook, path)
        return changed
    text = path.read_text()
    if (new := render(text, record)) != text:
        path.write_text(new)
    return new != text


def main() -> None:
    record = json.loads(RECORD.read_text())
    for path in marked_files():
        if write(path, record):
            print(f"updated the measured figures of {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
