import warnings

import pytest
import torch
from torch import nn

from helpers import checkpoints, settings


@pytest.fixture
def folder(monkeypatch, tmp_path):
    monkeypatch.setenv(checkpoints.CHECKPOINT_VARIABLE, str(tmp_path))
    monkeypatch.setenv(settings.SMOKE_VARIABLE, "0")
    return tmp_path


class Encoder(nn.Module):
    """A small model with batch norm and two outputs, like the lessons' encoders."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU())
        self.mu, self.logvar = nn.Linear(8, 2), nn.Linear(8, 2)

    def forward(self, x):
        features = self.body(x)
        return self.mu(features), self.logvar(features)


def trained_encoder() -> Encoder:
    torch.manual_seed(0)
    model = Encoder()
    model(torch.randn(64, 3) * 3 + 1)  # training mode: batch norm's running statistics move away from (0, 1)
    return model


def test_a_saved_module_runs_without_its_class_on_any_batch_size(folder):
    model = trained_encoder()
    path = checkpoints.save_module("lesson", model, torch.randn(5, 3))
    assert path == folder / "lesson.pt2"
    assert [p.name for p in folder.iterdir()] == ["lesson.pt2"]  # no temporary file left
    assert model.training, "saving must not switch the caller's model to evaluation mode"
    restored = checkpoints.load_module("lesson")
    assert not isinstance(restored, Encoder)
    model.eval()
    for batch in (1, 7):
        inputs = torch.randn(batch, 3)
        for got, want in zip(restored(inputs), model(inputs)):
            torch.testing.assert_close(got, want)  # evaluation mode: running statistics, not the batch's
    assert not any(p.requires_grad for p in restored.parameters())


def test_a_module_saved_from_a_single_example_still_takes_batches(folder):
    checkpoints.save_module("lesson", trained_encoder(), torch.randn(1, 3))
    assert checkpoints.load_module("lesson")(torch.randn(4, 3))[0].shape == (4, 2)


def test_a_missing_checkpoint_is_none(folder):
    assert checkpoints.load_module("never_saved") is None


def test_an_unreadable_checkpoint_says_what_to_do(folder):
    (folder / "lesson.pt2").write_bytes(b"not a program")
    with pytest.raises(RuntimeError, match="Run the lesson that saved it again"):
        checkpoints.load_module("lesson")


def test_smoke_runs_do_not_replace_full_checkpoints(folder, monkeypatch):
    checkpoints.save_module("lesson", nn.Linear(3, 1), torch.randn(2, 3))
    monkeypatch.setenv(settings.SMOKE_VARIABLE, "1")
    assert checkpoints.load_module("lesson") is None
    checkpoints.save_module("lesson", nn.Linear(3, 2), torch.randn(2, 3))
    assert sorted(p.name for p in folder.iterdir()) == ["lesson-smoke.pt2", "lesson.pt2"]
    monkeypatch.setenv(settings.SMOKE_VARIABLE, "0")
    assert checkpoints.load_module("lesson")(torch.randn(2, 3)).shape == (2, 1)


def test_a_failed_save_leaves_nothing(folder, monkeypatch):
    def broken_save(program, f):
        open(f, "wb").write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(torch.export, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        checkpoints.save_module("lesson", nn.Linear(3, 1), torch.randn(2, 3))
    assert list(folder.iterdir()) == []


def test_names_are_plain_file_names(folder):
    with pytest.raises(ValueError, match="plain file name"):
        checkpoints.checkpoint_path("../elsewhere")


def test_the_default_folder_is_the_course_checkpoints_folder(monkeypatch):
    monkeypatch.delenv(checkpoints.CHECKPOINT_VARIABLE, raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert checkpoints.checkpoint_dir() == checkpoints.COURSE_CHECKPOINTS
    assert (checkpoints.COURSE_CHECKPOINTS.parent / "nbgrader_config.py").exists()


def test_a_module_that_reads_its_batch_size_with_len_takes_any_batch(folder):
    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.ConvTranspose2d(4, 2, 4)

        def forward(self, z):
            return self.body(z.reshape(len(z), -1, 1, 1))

    checkpoints.save_module("lesson", Decoder(), torch.randn(3, 4))
    assert checkpoints.load_module("lesson")(torch.randn(5, 4)).shape == (5, 2, 4, 4)


@pytest.mark.parametrize("step", ["save", "load"])
def test_saving_and_loading_hide_pytorch_s_harmless_buffer_warning_and_no_other(folder, monkeypatch, recwarn, step):
    real = getattr(torch.export, step)

    def warning(message):
        def warns(*args, **kwargs):
            warnings.warn(message, UserWarning)  # as torch 2.11's torch.export.load does
            return real(*args, **kwargs)
        return warns

    monkeypatch.setattr(torch.export, step, warning("The given buffer is not writable, and PyTorch does not support "
                                                    "non-writable tensors."))
    checkpoints.save_module("quiet", nn.Linear(3, 1), torch.randn(2, 3))
    assert checkpoints.load_module("quiet") is not None and [str(w.message) for w in recwarn] == []
    monkeypatch.setattr(torch.export, step, warning("something else"))
    with pytest.warns(UserWarning, match="something else"):
        checkpoints.save_module("loud", nn.Linear(3, 1), torch.randn(2, 3))
        checkpoints.load_module("loud")


def test_a_model_trained_in_channels_last_saves_without_warnings_and_computes_the_same(folder, recwarn):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.Conv2d(4, 2, 2)).to(memory_format=torch.channels_last)
    model(torch.rand(8, 1, 4, 4))  # moves batch norm's running statistics
    checkpoints.save_module("conv", model, torch.rand(3, 1, 4, 4))
    assert [str(w.message) for w in recwarn] == []
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last), "the caller's model must be left as it was"
    images = torch.rand(5, 1, 4, 4)
    torch.testing.assert_close(checkpoints.load_module("conv")(images), model.eval()(images))
