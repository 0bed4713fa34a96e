"""The benchmark script's pieces work (its figures are measured by `make bench`, never asserted here)."""

import sys

import torch

from course import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import run  # noqa: E402


def seeds(*values):
    return run.spread(list(values))


RESULTS = {
    "date": "2026-01-01", "machine": "Some CPU, 2 CPU cores, no GPU",
    "versions": {"python": "3.11", "torch": "2.x", "torchvision": "0.x"},
    "data": run.data_record(8000, 2000), "seeds": [0, 1, 2],
    "course": {"full seconds": 930, "smoke seconds": 21},
    "data path": [{"batch size": 128, "classic s": 5.0, "helpers s": 0.5, "zero-cost s": 0.49, "speed-up": 10.0,
                   "throughput fraction": 0.98},
                  {"batch size": 32, "classic s": 3.0, "helpers s": 1.0, "zero-cost s": 0.9, "speed-up": 3.0,
                   "throughput fraction": 0.9}],
    "lessons": {
        "01_autoencoder": {"smoke": {"seconds": 10, "peak MB": 900},
                           "full": {"seconds": 30, "peak MB": 1000},
                           "quality": {"wall seconds": seeds(30, 31, 32), "PCA MSE per pixel": seeds(0.028, 0.028, 0.028)}},
        "04_conv_vae": {"smoke": {"seconds": 11, "peak MB": 950},
                        "full": {"seconds": 230, "peak MB": 1200},
                        "quality": {"wall seconds": seeds(250, 240, 245),
                                    "conv negative ELBO": seeds(98.0, 99.0, 100.0), "conv reconstruction": seeds(75, 75, 75),
                                    "conv KL": seeds(24, 24, 24), "conv training seconds": seeds(80, 81, 82),
                                    "MLP epochs": seeds(40, 41, 42), "MLP training seconds": seeds(80, 80, 80),
                                    "MLP negative ELBO": seeds(101, 102, 103), "MLP reconstruction": seeds(78, 78, 78),
                                    "MLP KL": seeds(24, 24, 24)}},
    },
    "anchor": {"training seconds": seeds(35, 36, 37), "negative ELBO": seeds(104.0, 104.5, 105.0),
               "reconstruction": seeds(80, 80, 80), "KL": seeds(25, 25, 25)},
}


def test_spread_gives_mean_sample_deviation_and_range():
    assert run.spread([98.0, 99.0, 100.0]) == {"mean": 99.0, "sd": 1.0, "min": 98.0, "max": 100.0,
                                               "values": [98.0, 99.0, 100.0]}
    assert run.over_seeds([{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": 2.0}])["a"]["mean"] == 2.0


def test_the_report_states_the_setting_and_compares_with_the_targets():
    text = run.report(RESULTS)
    assert "Some CPU, 2 CPU cores, no GPU" in text and "torch 2.x" in text
    assert "- data: 8,000 training and 2,000 test images (a subset of MNIST, not full MNIST)" in text
    assert "- seeds: 0, 1, 2" in text
    assert "| 128 | 5.00 | 0.50 | 0.49 | 10.0x | 0.98 |" in text
    assert "At batch size 128" not in text
    assert "At batch size 32 the speed-up target is missed: 3.0x instead of 5x" in text and "only 3.3x faster" in text
    assert "At batch size 32 the helpers reach 0.90 of the zero-data-cost throughput" in text
    assert "| whole course | 21 s | | 930 s (15.5 min) | | |" in text
    assert "within 15 minutes (**missed**: 15.5 min)" in text
    assert "no lesson over 4 minutes (met: the slowest, 04_conv_vae, took 230 s)" in text
    assert "| 01_autoencoder | 10 s | 900 MB | 30 s | 1000 MB | 31 ± 1 s |" in text
    assert "| 04_conv_vae | conv negative ELBO | 99 ± 1 | 98 | 100 |" in text
    assert "| anchor: MLP 784-400-20 | 10 epochs, batch 128, Adam 1e-3 | 36 ± 1 s | 104.5 ± 0.5 | 80.0 | 25.0 |" in text
    assert "at most 99.5: **missed** (99.0)" not in text and "so at most 99.5: met (99.0)" in text


def test_the_conv_target_is_missed_when_it_is_not_5_nats_better_than_the_anchor():
    slow = {**RESULTS, "anchor": {**RESULTS["anchor"], "negative ELBO": seeds(103.0, 103.5, 104.0)}}
    assert "so at most 98.5: **missed** (99.0)" in run.report(slow)


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
           "sandbox": "bubblewrap", "sandbox cost %": 5.0,
           "one submission, all lessons": {"1 worker s": 60.4, "all cores s": 35.2},
           "copies of lesson 01": {"1 worker s": 700.0, "all cores s": 400.0, "1 worker, no sandbox s": 666.7,
                                   "LocalCluster s": 420.0}}


def test_the_report_adds_the_grading_figures_when_there_are_some():
    assert "Grading" not in run.report(RESULTS)
    text = run.report({**RESULTS, "grading": GRADING})
    assert "## 4. Grading (`make grade`)" in text and "--students 50`) on 2026-01-02" in text
    assert "| batch | 1 worker | 2 workers (all cores) |" in text
    assert "| one student, all 2 lessons | 60 s | 35 s |" in text
    assert "| 50 students, lesson 01 | 700 s (14.0 s each, 4.3 per minute) | 400 s (8.0 s each, 7.5 per minute) |" in text
    assert "no sandbox: 667 s (13.3 s each, 4.5 per minute); the sandbox costs +5.0 % per submission" in text
    assert "`LocalCluster` of 2 worker processes: 420 s (8.4 s each, 7.1 per minute)" in text


def test_the_data_is_named_by_its_image_counts():
    assert run.data_record(60_000, 10_000) == {"training images": 60_000, "test images": 10_000, "name": "full MNIST"}
    assert run.data_record(8_000, 2_000)["name"] == "a subset of MNIST, not full MNIST"


def test_the_report_names_lessons_measured_before_the_record_date():
    assert "Measured earlier" not in run.report(RESULTS)
    mixed = {**RESULTS, "date": "2026-02-01",
             "lessons": {"01_autoencoder": {**RESULTS["lessons"]["01_autoencoder"], "date": "2026-01-01"},
                         "04_conv_vae": {**RESULTS["lessons"]["04_conv_vae"], "date": "2026-02-01"}}}
    text = run.report(mixed)
    assert "on 2026-02-01. Measured earlier on the same machine and data: 01_autoencoder on 2026-01-01." in text


def test_a_lesson_knows_which_lessons_it_loads_saved_models_from():
    assert run.checkpoints_read("05_interpolation") == ["04_conv_vae"]
    assert run.checkpoints_read("06_beyond_elbo") == [] and run.checkpoints_read("04_conv_vae") == []

