"""Every measured figure the course states comes from one record, benchmarks/results.json."""

import json
import sys

import pytest

from course import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import figures  # noqa: E402  (tools/figures.py: course.py puts tools/ on sys.path)
import run  # noqa: E402

RECORD = json.loads((ROOT / "benchmarks" / "results.json").read_text())


def test_figures_are_written_as_their_format_says():
    assert [figures.written(v, "duration") for v in (11.4, 59.6, 98.0, 733.2)] == ["11 s", "1 min 0 s", "1 min 38 s",
                                                                                    "12 min 13 s"]
    assert figures.written(294.0, "minutes") == "4.9 min"
    assert figures.written(1074.4, "GB") == "1.0 GB"
    assert figures.written(60000, "count") == "60,000"
    assert figures.written(4.28, "signed .1f") == "+4.3" and figures.written(-0.04, "signed .2f") == "-0.04"
    assert figures.written(0.016027, ".4f") == "0.0160"
    assert figures.written({"mean": 98.94, "sd": 0.31, "values": [98.6, 98.9, 99.3]}, "± .1f") == "98.9 ± 0.3"


def test_render_rewrites_marked_figures_from_the_record_and_leaves_the_rest():
    record = {"a": {"b c": [1.0, 97.14]}, "t": 98.0}
    text = ("ELBO <!-- figure a/b c/1 ~ .1f -->90.0<!-- /figure --> nats | in "
            "<!-- figure t ~ duration -->5 s<!-- /figure -->; 119.5 by hand")
    assert figures.render(text, record) == ("ELBO <!-- figure a/b c/1 ~ .1f -->97.1<!-- /figure --> nats | in "
                                            "<!-- figure t ~ duration -->1 min 38 s<!-- /figure -->; 119.5 by hand")
    with pytest.raises(KeyError, match=r"the record has no 'a/d' \(no 'd'\): run `make bench`"):
        figures.render("<!-- figure a/d ~ .1f -->1<!-- /figure -->", record)


def test_a_figure_that_disagrees_with_the_record_is_found_and_rewritten(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("took <!-- figure t ~ duration -->5 s<!-- /figure -->")
    assert figures.stale(page, {"t": 12.0}) == ["t: '5 s' -> '12 s'"]
    assert figures.write(page, {"t": 12.0}) and figures.stale(page, {"t": 12.0}) == []
    assert not figures.write(page, {"t": 12.0})


@pytest.mark.parametrize("path", figures.marked_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_marked_figure_agrees_with_the_record(path):
    assert figures.stale(path, RECORD) == [], f"run `make release` to rewrite the figures of {path.name}"


def test_the_readme_takes_its_run_times_and_results_from_the_record():
    marked = figures.FIGURE.findall((ROOT / "README.md").read_text())
    paths = {path for path, _, _ in marked}
    for lesson in RECORD["lessons"]:
        assert f"lessons/{lesson}/full/seconds" in paths and f"lessons/{lesson}/smoke/seconds" in paths


def test_results_md_is_written_from_the_record():
    assert (ROOT / "benchmarks" / "results.md").read_text() == run.report(RECORD), (
        "benchmarks/results.md disagrees with results.json: both are written by `make bench`")


def test_a_notebook_gets_its_markdown_figures_rewritten_and_its_code_left_alone(tmp_path):
    import nbformat

    path = tmp_path / "lesson.ipynb"
    code = "print('<!-- figure t ~ duration -->5 s<!-- /figure -->')"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("ran in <!-- figure t ~ duration -->5 s<!-- /figure -->"),
        nbformat.v4.new_code_cell(code)]), path)
    assert figures.write(path, {"t": 75.0}) and not figures.write(path, {"t": 75.0})
    markdown, cell = nbformat.read(path, as_version=4).cells
    assert markdown.source == "ran in <!-- figure t ~ duration -->1 min 15 s<!-- /figure -->" and cell.source == code
