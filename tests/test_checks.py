import pytest
import torch

from helpers import checks


def test_check_shape_passes_and_accepts_wildcards():
    checks.check_shape(torch.zeros(4, 3), (4, 3))
    checks.check_shape(torch.zeros(4, 3), (None, 3))


@pytest.mark.parametrize("shape", [(4, 5), (4,), (4, 3, 1)])
def test_check_shape_says_what_was_expected_and_got(shape):
    with pytest.raises(AssertionError) as error:
        checks.check_shape(torch.zeros(shape), (4, 3), "codes", hint="Use code_size.")
    message = str(error.value)
    assert "codes" in message and "expected (4, 3)" in message and f"got {shape}" in message
    assert message.endswith("Use code_size.")


def test_check_shape_names_wildcards_and_rejects_non_tensors():
    with pytest.raises(AssertionError, match=r"expected \(any, 3\), got \(2, 2\)"):
        checks.check_shape(torch.zeros(2, 2), (None, 3))
    with pytest.raises(AssertionError, match=r"expected \(3,\), got \(4,\)"):
        checks.check_shape(torch.zeros(4), (3,))
    with pytest.raises(AssertionError, match="should be a torch.Tensor; got list"):
        checks.check_shape([1, 2], (2,), "x")


def test_check_dtype():
    checks.check_dtype(torch.zeros(2), torch.float32)
    with pytest.raises(AssertionError, match="expected torch.float32, got torch.int64"):
        checks.check_dtype(torch.zeros(2, dtype=torch.int64), torch.float32)


def test_check_range():
    checks.check_range(torch.tensor([0.0, 0.5, 1.0]), 0, 1)
    with pytest.raises(AssertionError, match=r"\[0, 1\]; got values from -0.5 to 2"):
        checks.check_range(torch.tensor([-0.5, 2.0]), 0, 1)
    with pytest.raises(AssertionError, match="NaN"):
        checks.check_range(torch.tensor([0.5, float("nan")]), 0, 1)


def test_check_close_for_numbers():
    checks.check_close(1.0 + 1e-7, 1.0)
    with pytest.raises(AssertionError, match="loss is wrong: expected 2, got 2.5"):
        checks.check_close(2.5, 2.0, "loss")
    with pytest.raises(AssertionError, match="should be a number; got str"):
        checks.check_close("2.0", 2.0)


def test_check_close_for_tensors_reports_the_worst_element():
    checks.check_close(torch.ones(3), torch.ones(3) + 1e-8)
    with pytest.raises(AssertionError, match="expected 1, got 4 .*flat index 2"):
        checks.check_close(torch.tensor([1.0, 1.1, 4.0]), torch.tensor([1.0, 1.0, 1.0]), atol=0.2)
    with pytest.raises(AssertionError, match=r"wrong shape: expected \(3,\), got \(2,\)"):
        checks.check_close(torch.ones(2), torch.ones(3))


def _stub(code: str, name: str, filename: str):
    """Define ``name`` from ``code`` with its source findable by inspect, as a notebook cell's is."""
    import linecache

    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    namespace = {"torch": torch}
    exec(compile(code, filename, "exec"), namespace)
    return namespace[name]


def test_require_done_names_every_placeholder_left():
    untouched = _stub("class Model:\n    def __init__(self):\n        self.encoder = ...  # To Do\n"
                      "        self.decoder = ...\n    def forward(self, x):\n        mu, logvar = ..., ...\n",
                      "Model", "<cell-untouched>")
    with pytest.raises(checks.NotDoneError) as error:
        checks.require_done(3, untouched)
    assert str(error.value) == ("Exercise 3 is not done yet: replace the `...` in Model.__init__ (self.encoder, "
                                "self.decoder); Model.forward (mu, logvar).")
    assert isinstance(error.value, AssertionError)  # a failed check, as the grader counts it


def test_require_done_accepts_answers_written_below_their_stub_line():
    answered = _stub("@torch.no_grad()\ndef f(x):\n    y = ...  # To Do\n    y = x + 1\n"
                     "    a, b = ..., ...\n    a, b = divmod(x, 2)\n    for c in range(2):\n        pass\n"
                     "    return y, a, b\n", "f", "<cell-answered>")
    checks.require_done(1, answered)
    half = _stub("def g(x):\n    y = ...\n    z = ...\n    z = 2\n    return y + z\n", "g", "<cell-half>")
    with pytest.raises(checks.NotDoneError, match=r"Exercise 2 is not done yet: replace the `...` in g \(y\)\.$"):
        checks.require_done(2, half)


def test_require_done_says_nothing_when_there_is_no_source_to_read():
    checks.require_done(1, len, torch.nn.Linear)


def test_check_stages_checks_the_shape_after_each_block():
    body = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 4, stride=2, padding=1), torch.nn.ReLU(),
                               torch.nn.Conv2d(4, 8, 4, stride=2, padding=1), torch.nn.ReLU())
    out = checks.check_stages(body, torch.zeros(2, 1, 8, 8), [(2, 4, 4, 4), (2, 8, 2, 2)], "encoder.body")
    assert out.shape == (2, 8, 2, 2)
    with pytest.raises(AssertionError, match=r"the output of encoder.body block 2 \(after its ReLU\) has the wrong "
                                             r"shape: expected \(2, 16, 2, 2\), got \(2, 8, 2, 2\)\. Check it\."):
        checks.check_stages(body, torch.zeros(2, 1, 8, 8), [(2, 4, 4, 4), (2, 16, 2, 2)], "encoder.body", "Check it.")
    with pytest.raises(AssertionError, match="should have 3 blocks, each ending in nn.ReLU\\(\\); found 2"):
        checks.check_stages(body, torch.zeros(2, 1, 8, 8), [(2, 4, 4, 4), (2, 8, 2, 2), (2, 8, 1, 1)])
    with pytest.raises(AssertionError, match="more than 1 ReLUs"):
        checks.check_stages(body, torch.zeros(2, 1, 8, 8), [(2, 4, 4, 4)])
    with pytest.raises(AssertionError, match="should be an nn.Sequential; got Linear"):
        checks.check_stages(torch.nn.Linear(2, 2), torch.zeros(1, 2), [])
