import os
import shutil
import sys

import pytest
import torch
from torchvision import datasets
from torchvision.transforms.functional import pil_to_tensor

from helpers import data

UNREACHABLE = ["http://127.0.0.1:9/"]  # refused at once: stands in for being offline


@pytest.fixture(scope="module")
def train_set():
    return data.load_mnist("train")


def test_images_are_floats_in_the_unit_interval(train_set):
    images, labels = train_set.images, train_set.labels
    assert images.dtype == torch.float32 and images.shape[1:] == (1, 28, 28)
    assert images.min() == 0 and images.max() == 1
    assert labels.dtype == torch.int64 and labels.shape == (len(images),)
    assert set(labels.unique().tolist()) == set(range(10))


def test_the_split_matches_torchvision(train_set):
    reference = datasets.MNIST(data.data_root(), train=True)
    assert len(train_set) == len(reference)
    image, label = reference[5]
    assert torch.equal(train_set.images[5], pil_to_tensor(image).float() / 255)
    assert train_set.labels[5] == label


def test_train_and_test_differ(train_set):
    test_set = data.load_mnist("test")
    assert len(test_set) != len(train_set) or not torch.equal(test_set.images, train_set.images)


def test_subset_keeps_the_first_images(train_set):
    subset = data.load_mnist("train", subset=100)
    assert len(subset) == 100
    assert torch.equal(subset.images, train_set.images[:100])
    assert torch.equal(subset.labels, train_set.labels[:100])


@pytest.mark.parametrize("split", ["validation", "Train", ""])
def test_unknown_split_is_a_value_error(split):
    with pytest.raises(ValueError, match="split must be one of"):
        data.load_mnist(split)


@pytest.mark.parametrize("subset", [0, -5, 2.5, True, "100"])
def test_bad_subset_is_a_value_error(subset):
    with pytest.raises(ValueError, match="subset must be a positive whole number"):
        data.load_mnist("test", subset=subset)


def test_data_root_order(monkeypatch, tmp_path):
    monkeypatch.delenv(data.DATA_VARIABLE, raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert data.data_root() == data.COURSE_DATA
    assert data.COURSE_DATA.parent.joinpath("nbgrader_config.py").exists()
    monkeypatch.setitem(sys.modules, "google.colab", object())
    assert data.data_root() == data.COLAB_DATA
    monkeypatch.setenv(data.DATA_VARIABLE, str(tmp_path / "env"))
    assert data.data_root() == tmp_path / "env"
    assert data.data_root(tmp_path / "arg") == tmp_path / "arg"


def test_missing_data_offline_says_what_to_do_and_leaves_nothing(monkeypatch, tmp_path):
    monkeypatch.setattr(datasets.MNIST, "mirrors", UNREACHABLE)
    with pytest.raises(data.MNISTUnavailableError) as error:
        data.load_mnist("train", root=tmp_path)
    message = str(error.value)
    raw = tmp_path / "MNIST" / "raw"
    assert f"not in {raw}" in message and "could not be downloaded" in message
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                 "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        assert name in message
    assert "COURSE_DATA" in message
    assert isinstance(error.value, FileNotFoundError)
    assert error.value.__cause__ is None and error.value.__suppress_context__
    assert not (tmp_path / "MNIST").exists()  # no empty folders that look like a data set either


def test_a_partial_folder_is_cleaned_up_after_a_failed_download(monkeypatch, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    source = data.data_root() / "MNIST" / "raw"
    shutil.copy(source / "train-images-idx3-ubyte.gz", raw)  # one of four files present
    monkeypatch.setattr(datasets.MNIST, "mirrors", UNREACHABLE)
    with pytest.raises(data.MNISTUnavailableError):
        data.load_mnist("train", root=tmp_path)
    # the file that was there is unpacked (complete), the failed download added nothing
    assert sorted(p.name for p in raw.iterdir()) == ["train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"]
    assert (raw / "train-images-idx3-ubyte").read_bytes() == (source / "train-images-idx3-ubyte").read_bytes()


def test_gz_files_alone_load_offline(monkeypatch, tmp_path, train_set):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in data.RAW_FILES:
        shutil.copy(data.data_root() / "MNIST" / "raw" / name, raw)
    monkeypatch.setattr(datasets.MNIST, "mirrors", UNREACHABLE)
    loaded = data.load_mnist("train", root=tmp_path)
    assert torch.equal(loaded.images, train_set.images)
    assert not list(raw.glob("*.partial"))


def test_shuffled_batches_cover_every_image_once():
    images = torch.arange(10, dtype=torch.float32).reshape(10, 1, 1, 1)
    labels = torch.arange(10)
    batches = list(data.ImageSet(images, labels).batches(4, shuffle=True, generator=torch.Generator().manual_seed(0)))
    assert [len(x) for x, _ in batches] == [4, 4, 2]
    seen = torch.cat([y for _, y in batches])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    for x, y in batches:
        assert torch.equal(x.flatten(), y.float())  # images stay with their labels


def test_shuffling_repeats_with_the_same_seed_and_order_is_kept_without_it():
    images, labels = torch.rand(9, 1, 2, 2), torch.arange(9)
    imageset = data.ImageSet(images, labels)

    def order(seed):
        return torch.cat([y for _, y in imageset.batches(3, shuffle=True, generator=torch.Generator().manual_seed(seed))])

    assert torch.equal(order(1), order(1)) and not torch.equal(order(1), order(2))
    assert torch.cat([y for _, y in imageset.batches(4)]).tolist() == list(range(9))
    with pytest.raises(ValueError, match="batch_size must be positive"):
        next(imageset.batches(0))


def test_to_moves_both_tensors():
    imageset = data.ImageSet(torch.rand(2, 1, 2, 2), torch.arange(2)).to("meta")
    assert imageset.images.device.type == "meta" and imageset.labels.device.type == "meta"
    assert len(imageset) == 2


def test_loading_adds_nothing_to_a_complete_folder():
    raw = data.data_root() / "MNIST" / "raw"
    before = sorted(os.listdir(raw))
    data.load_mnist("test", subset=10)
    assert sorted(os.listdir(raw)) == before
