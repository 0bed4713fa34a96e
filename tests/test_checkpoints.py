import pytest
import torch
from torch import nn

from helpers import checkpoints, settings


@pytest.fixture
def folder(monkeypatch, tmp_path):
    monkeypatch.setenv(checkpoints.CHECKPOINT_VARIABLE, str(tmp_path))
    monkeypatch.setenv(settings.SMOKE_VARIABLE, "0")
    return tmp_path


def test_a_saved_model_comes_back(folder):
    model = nn.Linear(3, 2)
    path = checkpoints.save("lesson", {"model": model.state_dict(), "config": {"size": 3}})
    assert path == folder / "lesson.pt"
    state = checkpoints.load("lesson")
    restored = nn.Linear(state["config"]["size"], 2)
    restored.load_state_dict(state["model"])
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), restored.parameters()))
    assert [p.name for p in folder.iterdir()] == ["lesson.pt"]  # no temporary file left


def test_a_missing_checkpoint_is_none(folder):
    assert checkpoints.load("never_saved") is None


def test_smoke_runs_do_not_replace_full_checkpoints(folder, monkeypatch):
    checkpoints.save("lesson", {"value": torch.tensor(1.0)})
    monkeypatch.setenv(settings.SMOKE_VARIABLE, "1")
    assert checkpoints.load("lesson") is None
    checkpoints.save("lesson", {"value": torch.tensor(2.0)})
    assert sorted(p.name for p in folder.iterdir()) == ["lesson-smoke.pt", "lesson.pt"]
    monkeypatch.setenv(settings.SMOKE_VARIABLE, "0")
    assert checkpoints.load("lesson")["value"] == 1.0


def test_a_failed_save_leaves_nothing(folder, monkeypatch):
    def broken_save(obj, f):
        open(f, "wb").write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        checkpoints.save("lesson", {"value": 1})
    assert list(folder.iterdir()) == []


def test_names_are_plain_file_names(folder):
    with pytest.raises(ValueError, match="plain file name"):
        checkpoints.checkpoint_path("../elsewhere")


def test_the_default_folder_is_the_course_checkpoints_folder(monkeypatch):
    monkeypatch.delenv(checkpoints.CHECKPOINT_VARIABLE, raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert checkpoints.checkpoint_dir() == checkpoints.COURSE_CHECKPOINTS
    assert (checkpoints.COURSE_CHECKPOINTS.parent / "nbgrader_config.py").exists()
