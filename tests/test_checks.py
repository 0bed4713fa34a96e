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
