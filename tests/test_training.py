import time

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from helpers import data, settings, training


@pytest.fixture
def smoke_sizes(monkeypatch):
    monkeypatch.setenv(settings.SMOKE_VARIABLE, "1")
    return settings.sizes(epochs=5, batch_size=4)


def test_every_batch_is_stepped_once_per_epoch(smoke_sizes):
    images = data.ImageSet(torch.rand(10, 1, 2, 2), torch.arange(10))
    sizes = settings.Sizes(epochs=3, batch_size=4, train_images=None, test_images=None, smoke=True)
    seen = []
    history = training.fit(lambda x: seen.append(len(x)) or 1.0, images, sizes)
    assert seen == [4, 4, 2] * 3
    assert history == {"train": [1.0, 1.0, 1.0]}


def test_the_epoch_loss_weights_batches_by_their_size():
    images = data.ImageSet(torch.rand(10, 1, 2, 2), torch.arange(10))
    sizes = settings.Sizes(epochs=1, batch_size=4, train_images=None, test_images=None, smoke=True)
    history = training.fit(lambda x: float(len(x)), images, sizes)  # batch "losses" 4, 4, 2
    assert history["train"] == [pytest.approx((4 * 4 + 4 * 4 + 2 * 2) / 10)]


def test_evaluate_runs_after_each_epoch():
    images = data.ImageSet(torch.rand(6, 1, 2, 2), torch.arange(6))
    sizes = settings.Sizes(epochs=4, batch_size=3, train_images=None, test_images=None, smoke=True)
    calls = iter(range(100))
    history = training.fit(lambda x: 0.5, images, sizes, evaluate=lambda: float(next(calls)))
    assert history == {"train": [0.5] * 4, "test": [0.0, 1.0, 2.0, 3.0]}


def test_a_real_model_learns_on_mnist():
    torch.manual_seed(0)
    train = data.load_mnist("train", subset=512)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 784), nn.Unflatten(1, (1, 28, 28)))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(x):
        loss = F.mse_loss(model(x), x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    sizes = settings.Sizes(epochs=4, batch_size=64, train_images=512, test_images=None, smoke=True)
    history = training.fit(step, train, sizes, generator=torch.Generator().manual_seed(0))
    assert history["train"] == sorted(history["train"], reverse=True)
    assert history["train"][-1] < 0.85 * history["train"][0]


def test_the_progress_bar_is_silent_in_smoke_mode(capsys, smoke_sizes):
    images = data.ImageSet(torch.rand(8, 1, 2, 2), torch.arange(8))
    training.fit(lambda x: 0.0, images, smoke_sizes)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_seconds_count_the_training_steps_and_not_the_evaluations(smoke_sizes):
    images = data.ImageSet(torch.rand(8, 1, 2, 2), torch.arange(8))
    history = training.fit(lambda x: time.sleep(0.02) or 0.0, images, smoke_sizes,
                           evaluate=lambda: time.sleep(0.5) or 0.0)
    batches = smoke_sizes.epochs * smoke_sizes.batches_per_epoch(len(images))
    assert 0.02 * batches <= history.seconds < 0.02 * batches + 0.3, (
        f"{batches} steps of 0.02 s and evaluations of 0.5 s gave history.seconds = {history.seconds:.2f}")
