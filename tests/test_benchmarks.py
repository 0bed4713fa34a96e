"""The benchmark script's pieces work (its figures are measured by `make bench`, never asserted here)."""

import sys

import torch

from course import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import run  # noqa: E402

RESULTS = {
    "date": "2026-01-01", "machine": "Some CPU, 2 CPU cores, no GPU",
    "versions": {"python": "3.11", "torch": "2.x", "torchvision": "0.x"},
    "data": run.data_record(8000, 2000),
    "course": {"full seconds": 730, "smoke seconds": 21},
    "data path": [{"batch size": 128, "classic s": 5.0, "helpers s": 0.5, "zero-cost s": 0.49, "speed-up": 10.0,
                   "throughput fraction": 0.98},
                  {"batch size": 32, "classic s": 3.0, "helpers s": 1.0, "zero-cost s": 0.9, "speed-up": 3.0,
                   "throughput fraction": 0.9}],
    "lessons": {
        "01_autoencoder": {"smoke": {"seconds": 10, "peak MB": 900, "metrics": {}},
                           "full": {"seconds": 30, "peak MB": 1000, "metrics": {"PCA MSE per pixel": 0.028}}},
        "04_conv_vae": {"smoke": {"seconds": 11, "peak MB": 950, "metrics": {}},
                        "full": {"seconds": 700, "peak MB": 1200,
                                 "metrics": {"test negative ELBO": [107.3, 83.9, 23.4], "training seconds": 45.0}}},
    },
    "reference VAE": {"seconds": 45.2, "epochs begun": 30, "test negative ELBO": [115.0, 90.0, 25.0]},
}


def test_the_report_states_the_setting_and_compares_with_the_targets():
    text = run.report(RESULTS)
    assert "Some CPU, 2 CPU cores, no GPU" in text and "torch 2.x" in text
    assert "- data: 8,000 training and 2,000 test images (a subset of MNIST, not full MNIST)" in text
    assert "| 128 | 5.00 | 0.50 | 0.49 | 10.0x | 0.98 |" in text
    assert "At batch size 128" not in text
    assert "At batch size 32 the speed-up target is missed: 3.0x instead of 5x" in text and "only 3.3x faster" in text
    assert "At batch size 32 the helpers reach 0.90 of the zero-data-cost throughput" in text
    assert "| whole course | 21 s | | 730 s (12.2 min) | |" in text
    assert "missed by 130 s" in text and "not measured: no GPU in this run" in text
    assert "PCA MSE per pixel: 0.0280" in text
    assert "107.3 nats per image (reconstruction 83.9 + KL 23.4)" in text
    assert "against 107.3 for the conv VAE: the conv VAE is better" in text


def test_epoch_timing_runs_every_feed_and_keeps_the_best_time():
    batches = [torch.rand(8, 1, 28, 28) for _ in range(3)]
    calls = {"a": 0, "b": 0}

    def feed(name):
        def batches_of_one_epoch():
            calls[name] += 1
            return iter(batches)
        return batches_of_one_epoch

    seconds = run.best_epoch_seconds({"a": feed("a"), "b": feed("b")}, repeats=2)
    assert calls == {"a": 2, "b": 2}
    assert set(seconds) == {"a", "b"} and all(0 < s < 60 for s in seconds.values())


GRADING = {"date": "2026-01-02", "cores": 2, "lessons": ["01_autoencoder", "02_denoising"], "students": 50,
           "one submission, all lessons": {"1 worker s": 60.4, "all cores s": 35.2},
           "copies of lesson 01": {"1 worker s": 700.0, "all cores s": 400.0}}


def test_the_report_adds_the_grading_figures_when_there_are_some():
    assert "Grading" not in run.report(RESULTS)
    text = run.report({**RESULTS, "grading": GRADING})
    assert "## 4. Grading (`make grade`)" in text and "--students 50`) on 2026-01-02" in text
    assert "| batch | 1 worker | 2 workers (all cores) |" in text
    assert "| one student, all 2 lessons | 60 s | 35 s |" in text
    assert "| 50 students, lesson 01 | 700 s (14.0 s each) | 400 s (8.0 s each) |" in text


def test_the_data_is_named_by_its_image_counts():
    assert run.data_record(60_000, 10_000) == {"training images": 60_000, "test images": 10_000, "name": "full MNIST"}
    assert run.data_record(8_000, 2_000)["name"] == "a subset of MNIST, not full MNIST"
