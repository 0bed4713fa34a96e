import numpy as np
import torch

from helpers import runtime


def test_cpu_when_there_is_no_accelerator(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert runtime.pick_device() == torch.device("cpu")
    assert "cpu" in capsys.readouterr().out


def test_cuda_is_preferred(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert runtime.pick_device(verbose=False) == torch.device("cuda")


def test_mps_comes_before_the_cpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert runtime.pick_device(verbose=False) == torch.device("mps")


def test_seeding_makes_every_generator_repeat():
    def draw():
        generator = runtime.seed_everything(7)
        return torch.rand(3), np.random.rand(3), torch.randperm(10, generator=generator)

    first, second = draw(), draw()
    assert torch.equal(first[0], second[0])
    assert np.array_equal(first[1], second[1])
    assert torch.equal(first[2], second[2])
    runtime.seed_everything(8)
    assert not torch.equal(torch.rand(3), first[0])
