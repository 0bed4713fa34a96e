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


def _mean(lesson: str, figure: str) -> float:
    return RECORD["lessons"][lesson]["quality"][figure]["mean"]


def _sd(lesson: str, figure: str) -> float:
    return RECORD["lessons"][lesson]["quality"][figure]["sd"]


def _auc(model: str, kind: str) -> float:
    return _mean("02_denoising", f"ROC AUC, {model}, {kind}")


def _psnr(column: str, kind: str, level: float) -> float:
    return _mean("02_denoising", f"PSNR {column}, {kind} {level}")


# What the prose says in words about the measured figures; each sentence is rewritten when the record disagrees.
CLAIMS = {
    "lesson 1: with 16 numbers per image the autoencoder reconstructs better than PCA":
        lambda: _mean("01_autoencoder", "autoencoder MSE per pixel") < _mean("01_autoencoder", "PCA MSE per pixel"),
    "lesson 1: on 1,000 images the unregularised test error ends above its lowest point (overfitting)":
        lambda: _mean("01_autoencoder", "few images, none, test rise") > 0,
    "lesson 1: weight decay and dropout on the code each give up training error for a lower test error":
        lambda: all(_mean("01_autoencoder", f"few images, {name}, test") < _mean("01_autoencoder", "few images, none, test")
                    and _mean("01_autoencoder", f"few images, {name}, training")
                    > _mean("01_autoencoder", "few images, none, training")
                    for name in ("weight decay 1", "code dropout 0.1")),
    "lesson 1: neither regulariser on 1,000 images comes near all the data with none":
        lambda: min(_mean("01_autoencoder", f"few images, {name}, test") for name in ("weight decay 1", "code dropout 0.1"))
        > 1.5 * _mean("01_autoencoder", "autoencoder MSE per pixel"),
    "lesson 1: a 2-D code reconstructs far worse than 16 numbers":
        lambda: _mean("01_autoencoder", "2-D code MSE per pixel") > 2 * _mean("01_autoencoder", "autoencoder MSE per pixel"),
    "lesson 2: the noisy inputs are drawn with a fixed seed, so their PSNR has no spread":
        lambda: all(_sd("02_denoising", f"PSNR noisy input, {kind} {level}") < 1e-9
                    for kind in ("Gaussian", "masking") for level in (0.3, 0.5)),
    "lesson 2: the gain of the denoiser grows with the noise":
        lambda: all(_mean("02_denoising", f"PSNR gain, {kind} 0.5") > _mean("02_denoising", f"PSNR gain, {kind} 0.3")
                    for kind in ("Gaussian", "masking")),
    "lesson 2: at high levels the plain autoencoder still beats the noisy input":
        lambda: all(_psnr("plain autoencoder", kind, 0.5) > _psnr("noisy input", kind, 0.5)
                    for kind in ("Gaussian", "masking")),
    "lesson 2: the denoiser beats the plain autoencoder on noisy inputs, by more on Gaussian noise than on masking":
        lambda: all(_psnr("denoiser", kind, level) > _psnr("plain autoencoder", kind, level)
                    for kind in ("Gaussian", "masking") for level in (0.3, 0.5))
        and (_psnr("denoiser", "Gaussian", 0.5) - _psnr("plain autoencoder", "Gaussian", 0.5)
             > _psnr("denoiser", "masking", 0.5) - _psnr("plain autoencoder", "masking", 0.5)),
    "lesson 2: the denoiser fills pixels missing at random best, the mean image a missing centre square":
        lambda: _mean("02_denoising", "missing pixels, half at random, denoiser") < min(
            _mean("02_denoising", f"missing pixels, half at random, {fill}")
            for fill in ("zeros", "mean training image", "plain autoencoder"))
        and _mean("02_denoising", "missing pixels, centre square, mean training image") < min(
            _mean("02_denoising", f"missing pixels, centre square, {fill}") for fill in ("plain autoencoder", "denoiser")),
    "lesson 2: a quarter turn is easier to flag than a mirror, stronger noise easier than lighter":
        lambda: _auc("plain autoencoder", "quarter turn") > _auc("plain autoencoder", "mirrored")
        and _auc("plain autoencoder", "noise f = 0.2") > _auc("plain autoencoder", "noise f = 0.1"),
    "lesson 2: the denoiser is the worse detector of noise":
        lambda: all(_auc("denoiser", kind) < _auc("plain autoencoder", kind) for kind in ("noise f = 0.1", "noise f = 0.2")),
    "lesson 3: most of the loss is reconstruction; the KL term is much smaller":
        lambda: _mean("03_kl_divergence", "test KL") < 0.5 * _mean("03_kl_divergence", "test reconstruction"),
    "lesson 3: the floor of the reconstruction term depends on the images alone":
        lambda: _sd("03_kl_divergence", "reconstruction floor") < 1e-9,
    "lesson 3: beta = 4 buys a smaller KL with a larger reconstruction term":
        lambda: _mean("03_kl_divergence", "test KL, beta 4") < _mean("03_kl_divergence", "test KL")
        and _mean("03_kl_divergence", "test reconstruction, beta 4") > _mean("03_kl_divergence", "test reconstruction"),
    "lesson 3: beta = 0 reconstructs best of the three, and its ELBO is by far the worst":
        lambda: _mean("03_kl_divergence", "test reconstruction, beta 0") < min(
            _mean("03_kl_divergence", "test reconstruction"), _mean("03_kl_divergence", "test reconstruction, beta 4"))
        and _mean("03_kl_divergence", "test negative ELBO, beta 0") > 2 * max(
            _mean("03_kl_divergence", "test negative ELBO"), _mean("03_kl_divergence", "test negative ELBO, beta 4")),
    "lesson 3: warm-up ends within a nat above (worse than) the fixed beta, with as many active units":
        lambda: 0 < _mean("03_kl_divergence", "warm-up minus fixed beta") < 1
        and _mean("03_kl_divergence", "active units, warm-up") == _mean("03_kl_divergence", "active units, fixed beta = 1"),
    "lesson 3: with beta = 1 the aggregate posterior has the prior's width; with beta = 0 it is several times wider":
        lambda: abs(_mean("03_kl_divergence", "aggregate posterior variance, beta 1") - 1) < 0.2
        and _mean("03_kl_divergence", "aggregate posterior variance, beta 0") > 9,
    "lesson 4: for the same training time the conv VAE beats the MLP VAE, mostly in reconstruction":
        lambda: _mean("04_conv_vae", "conv minus MLP") < 0
        and _mean("04_conv_vae", "conv minus MLP, reconstruction") < _mean("04_conv_vae", "conv minus MLP"),
    "lesson 4: the conv VAE is at most 100 nats and at least 5 better than the PyTorch examples' VAE":
        lambda: _mean("04_conv_vae", "conv negative ELBO") <= min(100.0, RECORD["anchor"]["negative ELBO"]["mean"] - 5),
    "lesson 4: the PyTorch examples' VAE trains in less than half the conv VAE's time":
        lambda: RECORD["anchor"]["training seconds"]["mean"] < 0.5 * _mean("04_conv_vae", "conv training seconds"),
    "lesson 5: along straight paths no model jumps (largest step under 1.5 times the mean)":
        lambda: all(_mean("05_interpolation", f"{model}, largest over mean") < 1.5
                    for model in ("plain autoencoder", "VAE, same networks", "lesson 4's VAE")),
    "lesson 5: the autoencoder and the VAE with the same networks change by about as much per step":
        lambda: abs(_mean("05_interpolation", "plain autoencoder, mean change")
                    / _mean("05_interpolation", "VAE, same networks, mean change") - 1) < 0.2,
    "lesson 5: the VAE's codes have the prior's scale (norm near 4), the autoencoder's a scale of their own":
        lambda: 3 < _mean("05_interpolation", "VAE, same networks, code norm") < 5
        and _mean("05_interpolation", "plain autoencoder, code norm") > 2 * _mean("05_interpolation",
                                                                                 "VAE, same networks, code norm"),
    "lesson 5: beta = 4 lowers the KL and leaves more dimensions nearly unused than beta = 1":
        lambda: _mean("05_interpolation", "KL, beta 4") < _mean("05_interpolation", "KL, beta 1")
        and _mean("05_interpolation", "dimensions under 0.1 nats, beta 4")
        > _mean("05_interpolation", "dimensions under 0.1 nats, beta 1"),
    "lesson 6: the previous-pixel model alone is within 5 nats of the plain VAE's bound":
        lambda: abs(_mean("06_beyond_elbo", "previous pixels alone, -log p(x)")
                    - _mean("06_beyond_elbo", "plain decoder, negative ELBO")) < 5,
    "lesson 6: with beta = 1 the pixel decoder's code collapses (under 5 nats, most dimensions under 0.1 nats) "
    "while its bound beats the plain VAE's":
        lambda: _mean("06_beyond_elbo", "pixel decoder, beta = 1, KL") < 5
        and _mean("06_beyond_elbo", "pixel decoder, beta = 1, dimensions over 0.1 nats") <= 8
        and _mean("06_beyond_elbo", "plain decoder, dimensions over 0.1 nats") == 16
        and _mean("06_beyond_elbo", "pixel decoder, beta = 1, negative ELBO")
        < _mean("06_beyond_elbo", "plain decoder, negative ELBO"),
    "lesson 6: after this short run the active units still count (nearly) every dimension of the collapsed model":
        lambda: _mean("06_beyond_elbo", "pixel decoder, beta = 1, active units")
        > 2 * _mean("06_beyond_elbo", "pixel decoder, beta = 1, dimensions over 0.1 nats"),
    "lesson 6: warm-up and free bits bring the code back in every dimension, with a better reconstruction, and "
    "warm-up gives the best bound of the three":
        lambda: all(_mean("06_beyond_elbo", f"pixel decoder, {fix}, KL") > 2 * _mean("06_beyond_elbo",
                                                                                    "pixel decoder, beta = 1, KL")
                    and _mean("06_beyond_elbo", f"pixel decoder, {fix}, dimensions over 0.1 nats") == 16
                    and _mean("06_beyond_elbo", f"pixel decoder, {fix}, reconstruction")
                    < _mean("06_beyond_elbo", "pixel decoder, beta = 1, reconstruction")
                    for fix in ("warm-up", "free bits"))
        and _mean("06_beyond_elbo", "pixel decoder, warm-up, negative ELBO") < min(
            _mean("06_beyond_elbo", f"pixel decoder, {fix}, negative ELBO") for fix in ("beta = 1", "free bits")),
    "lesson 6: the importance-weighted bound tightens with k, and each tenfold k gains less than the one before":
        lambda: _mean("06_beyond_elbo", "-L_1") - _mean("06_beyond_elbo", "-L_10")
        > _mean("06_beyond_elbo", "-L_10") - _mean("06_beyond_elbo", "-L_100")
        > _mean("06_beyond_elbo", "-L_100") - _mean("06_beyond_elbo", "-L_1000") > 0,
    "lesson 6: refining q closes the amortisation gap, which is larger than the approximation gap left":
        lambda: _mean("06_beyond_elbo", "amortisation gap") > _mean("06_beyond_elbo", "approximation gap") > 0,
    "lesson 6: decoded means are greyer than the digits, the more so the larger sigma, whose codes carry less":
        lambda: _mean("06_beyond_elbo", "greyness, test images") < min(
            _mean("06_beyond_elbo", f"greyness, {name}") for name in ("Bernoulli mean", "sigma 0.05"))
        and _mean("06_beyond_elbo", "greyness, sigma 0.05") < _mean("06_beyond_elbo", "greyness, sigma 0.15")
        < _mean("06_beyond_elbo", "greyness, sigma 0.4")
        and _mean("06_beyond_elbo", "KL, sigma 0.05") > _mean("06_beyond_elbo", "KL, sigma 0.15")
        > _mean("06_beyond_elbo", "KL, sigma 0.4"),
    "the whole course runs within 15 minutes in full mode, and no lesson takes more than 4":
        lambda: RECORD["course"]["full seconds"] <= 15 * 60
        and all(runs["full"]["seconds"] <= 4 * 60 for runs in RECORD["lessons"].values()),
    "grading: the sandbox was measured (bubblewrap) and costs at most 10 % per submission":
        lambda: RECORD["grading"]["sandbox"] == "bubblewrap" and RECORD["grading"]["sandbox cost %"] <= 10,
    "grading: two workers and a two-worker Dask LocalCluster each beat one worker":
        lambda: max(RECORD["grading"]["copies of lesson 01"]["all cores s"],
                    RECORD["grading"]["copies of lesson 01"]["LocalCluster s"])
        < RECORD["grading"]["copies of lesson 01"]["1 worker s"],
}


@pytest.mark.parametrize("claim", CLAIMS)
def test_what_the_prose_says_about_the_figures_holds_in_the_record(claim):
    assert CLAIMS[claim](), f"the course says that {claim}, but benchmarks/results.json disagrees: rewrite the sentence"
