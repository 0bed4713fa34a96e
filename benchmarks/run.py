"""Measure the course on this machine and write benchmarks/results.md (and results.json).

1. Data path: one epoch of lesson 1's autoencoder fed by the helpers' in-memory batching, by the classic
   torchvision pipeline (MNIST + ToTensor + DataLoader(shuffle=True)), and by batches already sliced in memory
   (zero data cost), at batch sizes 32 and 128.
2. Each lesson executed headless in a fresh kernel: once in smoke mode, and in full mode once per seed (0, 1, 2),
   the whole course in order for each seed; wall time and peak memory.
3. Model quality on the test split, read from the lessons' own variables after each full run (mean and spread over
   the seeds), and the anchor: the VAE of pytorch/examples (784-400-20, BCE summed + KL, Adam 1e-3, batch 128,
   10 epochs), trained once per seed in the same run.

Usage: ``python benchmarks/run.py [lesson ...]`` (``make bench``, ``make bench LESSONS=06_beyond_elbo``). Named lessons
are measured again (steps 2 and 3) and the rest of the record is kept, provided it was measured on the same machine
and data; each lesson's record carries its date. Data: $COURSE_DATA, else the course's data/ folder; the record names
the data by its image counts. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]
from helpers import data  # noqa: E402
from release import lessons  # noqa: E402

# Lesson variables read after a full run, one number each (each expression is evaluated in the lesson's kernel).
QUALITY = {
    "01_autoencoder": {
        "autoencoder MSE per pixel": "autoencoder_error", "PCA MSE per pixel": "pca_error",
        "2-D code MSE per pixel": "error_2d",
        **{f"few images, {name}, {split}": f"few_errors[{name!r}][{index}]"
           for name in ("none", "weight decay 1", "code dropout 0.1") for index, split in enumerate(("training", "test"))},
        "few images, none, test rise": "few_histories['none']['test'][-1] - min(few_histories['none']['test'])"},
    "02_denoising": {
        **{f"PSNR {column}, {kind} {level}": f"{table}[{column!r}][LEVELS.index({level})]"
           for kind, table in (("Gaussian", "gauss_psnr"), ("masking", "mask_psnr")) for level in (0.3, 0.5)
           for column in ("noisy input", "plain autoencoder", "denoiser")},
        **{f"PSNR gain, {kind} {level}": f"{table}['denoiser'][LEVELS.index({level})] - "
                                         f"{table}['noisy input'][LEVELS.index({level})]"
           for kind, table in (("Gaussian", "gauss_psnr"), ("masking", "mask_psnr")) for level in (0.3, 0.5)},
        "best reconstruction PSNR": "max(max(table[name]) for table in (gauss_psnr, mask_psnr) "
                                    "for name in ('plain autoencoder', 'denoiser'))",
        "training seconds": "denoiser_history.seconds + plain_history.seconds",
        **{f"missing pixels, {pattern}, {fill}": f"imputation_errors[{pattern!r}][{fill!r}]"
           for pattern in ("half at random", "centre square")
           for fill in ("zeros", "mean training image", "plain autoencoder", "denoiser")},
        **{f"ROC AUC, {model}, {kind}": f"auc[{model!r}][{kind!r}]" for model in ("plain autoencoder", "denoiser")
           for kind in ("quarter turn", "mirrored", "noise f = 0.1", "noise f = 0.2")}},
    "03_kl_divergence": {
        **{f"{split} {term}": f"terms[{key!r}][{index}]" for split, key in (("test", "test"), ("training", "train"))
           for index, term in enumerate(("negative ELBO", "reconstruction", "KL"))},
        **{f"test {term}, beta {beta:g}": f"beta_terms[{beta}][{index}]" for beta in (4.0, 0.0)
           for index, term in enumerate(("negative ELBO", "reconstruction", "KL"))},
        "reconstruction floor": "floor",
        **{f"warm-up test {term}": f"warmup_terms['warm-up'][{index}]"
           for index, term in enumerate(("negative ELBO", "reconstruction", "KL"))},
        "warm-up minus fixed beta": "warmup_terms['warm-up'][0] - warmup_terms['fixed beta = 1'][0]",
        **{f"active units, {name}": f"warmup_active[{name!r}]" for name in ("fixed beta = 1", "warm-up")},
        **{f"aggregate posterior variance, beta {beta:g}": f"aggregate_variance[{beta}]" for beta in (0.0, 1.0, 4.0)}},
    "04_conv_vae": {
        "conv negative ELBO": "conv_terms[0]", "conv reconstruction": "conv_terms[1]", "conv KL": "conv_terms[2]",
        "conv training seconds": "conv_seconds", "MLP epochs": "mlp_epochs", "MLP training seconds": "mlp_seconds",
        "MLP negative ELBO": "mlp_terms[0]", "MLP reconstruction": "mlp_terms[1]", "MLP KL": "mlp_terms[2]",
        "conv minus MLP": "gap[0]", "conv minus MLP, reconstruction": "gap[1]", "conv minus MLP, KL": "gap[2]",
        "border cost": "border_cost"},
    "05_interpolation": {
        **{f"{name}, {measure}": f"smoothness[{name!r}][{index}]"
           for name in ("plain autoencoder", "VAE, same networks", "lesson 4's VAE")
           for index, measure in enumerate(("mean change", "largest change", "largest over mean", "code norm"))},
        "plain autoencoder test loss": "ae_test_loss", "VAE test loss": "vae_test_loss",
        "VAE, beta 4, test loss": "beta4_test_loss",
        **{f"{figure}, beta {beta:g}": expression.format(beta=beta) for beta in (1.0, 4.0) for figure, expression in (
            ("active units", "active[{beta}]"), ("KL", "dimension_kl[{beta}].sum()"),
            ("largest KL of a dimension", "dimension_kl[{beta}].max()"),
            ("dimensions under 0.1 nats", "(dimension_kl[{beta}] < 0.1).sum()"))}},
    "06_beyond_elbo": {
        "previous pixels alone, -log p(x)": "pixel_nll",
        **{f"{model}, {column}": f"collapse_table[{model!r}][{column!r}]"
           for model in ("plain decoder", "pixel decoder, beta = 1", "pixel decoder, warm-up", "pixel decoder, free bits")
           for column in ("negative ELBO", "reconstruction", "KL", "active units", "dimensions over 0.1 nats")},
        **{f"-L_{k}": f"iwae_bounds[{k}]" for k in (1, 10, 100, 1000)},
        "L_1000 minus L_1": "iwae_bounds[1] - iwae_bounds[1000]",
        **{name: f"gaps[{name!r}]" for name in ("-ELBO, encoder's q", "-ELBO, refined q", "-L_1000, refined q",
                                                 "amortisation gap", "approximation gap")},
        "greyness, test images": "blur['test images (grey)']", "greyness, Bernoulli mean": "blur['Bernoulli mean']",
        **{f"greyness, sigma {sigma}": f"blur['Gaussian mean, sigma = {sigma}']" for sigma in (0.05, 0.15, 0.4)},
        **{f"KL, sigma {sigma}": f"gaussian_kl[{sigma}]" for sigma in (0.05, 0.15, 0.4)}},
}
SEEDS = (0, 1, 2)
SEED_LINE = "generator = runtime.seed_everything(0)"
MARK = "BENCHMARK-METRICS "
ANCHOR_EPOCHS = 10


def autoencoder() -> nn.Module:
    """The architecture of lesson 1's autoencoder (784-256-16-256-784)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 16), nn.Linear(16, 256),
                         nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)))


def best_epoch_seconds(feeds: dict, repeats: int = 3) -> dict[str, float]:
    """Best time of ``repeats`` training epochs for each feed (a function returning an iterator of image batches).

    The feeds take turns, so that a passing load on the machine slows all of them alike.
    """
    trainers = {}
    for name in feeds:
        torch.manual_seed(0)
        model = autoencoder()
        trainers[name] = (model, torch.optim.Adam(model.parameters(), lr=1e-3))
    best = dict.fromkeys(feeds, float("inf"))
    for _ in range(repeats):
        for name, feed in feeds.items():
            model, optimizer = trainers[name]
            start = time.perf_counter()
            for images in feed():
                loss = F.mse_loss(model(images), images)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def data_path() -> list[dict]:
    train = data.load_mnist("train")
    classic_set = datasets.MNIST(data.data_root(), train=True, transform=transforms.ToTensor())
    rows = []
    for batch_size in (32, 128):
        loader = DataLoader(classic_set, batch_size=batch_size, shuffle=True)
        sliced = [x for x, _ in train.batches(batch_size)]
        seconds = best_epoch_seconds({
            "classic": lambda: (x for x, _ in loader),
            "helpers": lambda: (x for x, _ in train.batches(batch_size, shuffle=True)),
            "in memory": lambda: iter(sliced),
        })
        rows.append({"batch size": batch_size, "classic s": seconds["classic"], "helpers s": seconds["helpers"],
                     "zero-cost s": seconds["in memory"], "speed-up": seconds["classic"] / seconds["helpers"],
                     "throughput fraction": seconds["in memory"] / seconds["helpers"]})
        print(f"data path, batch {batch_size}: {rows[-1]}", flush=True)
    return rows


RUNNER = r"""
import json, resource, sys, time
import nbformat
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], as_version=4)
start = time.perf_counter()
NotebookClient(notebook, timeout=3600, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
seconds = time.perf_counter() - start
peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
metrics = {}
for output in notebook.cells[-1].get("outputs", []):
    if output.get("name") == "stdout" and "BENCHMARK-METRICS " in output["text"]:
        metrics = json.loads(output["text"].split("BENCHMARK-METRICS ", 1)[1])
print(json.dumps({"seconds": seconds, "peak MB": peak_kb / 1024, "metrics": metrics}))
"""


def run_lesson(lesson: str, smoke: bool, checkpoints: str, seed: int = 0) -> tuple[dict, dict]:
    """Execute the solution notebook in a fresh kernel, seeded with ``seed``: its wall time and peak memory (the
    kernel's exit included), and in full mode the figures of ``QUALITY`` read from its variables.

    Lessons of one run share the folder ``checkpoints``, so that lesson 5 explores the model lesson 4 saved.
    """
    notebook = nbformat.read(ROOT / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    seeded = [cell for cell in notebook.cells if cell.cell_type == "code" and SEED_LINE in cell.source]
    if len(seeded) != 1:
        raise RuntimeError(f"{lesson} should seed itself once with {SEED_LINE!r}; found {len(seeded)} such cells")
    seeded[0].source = seeded[0].source.replace(SEED_LINE, SEED_LINE.replace("(0)", f"({seed})"))
    expressions = {} if smoke else QUALITY.get(lesson, {})
    code = "import json\nprint(" + repr(MARK) + " + json.dumps({" + ", ".join(
        f"{name!r}: float({expression})" for name, expression in expressions.items()) + "}))"
    notebook.cells.append(nbformat.v4.new_code_cell(code))
    env = dict(os.environ, COURSE_SMOKE="1" if smoke else "0", COURSE_CHECKPOINTS=checkpoints, COURSE_HEADLESS="1")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{lesson}.ipynb"
        nbformat.write(notebook, path)
        done = subprocess.run([sys.executable, "-c", RUNNER, str(path), str(ROOT / "solutions" / lesson)],
                              env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{lesson} failed in {'smoke' if smoke else 'full'} mode:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{lesson} {'smoke' if smoke else 'full'}, seed {seed}: {result}", flush=True)
    metrics = result.pop("metrics")
    return result, metrics


class AnchorVAE(nn.Module):
    """The VAE of pytorch/examples (vae/main.py): an MLP 784-400-20-400-784 with a sigmoid output."""

    def __init__(self):
        super().__init__()
        self.hidden, self.mu, self.logvar = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.decode = nn.Sequential(nn.Linear(20, 400), nn.ReLU(), nn.Linear(400, 784), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = F.relu(self.hidden(x.flatten(1)))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decode(z), mu, logvar


def anchor_terms(model: AnchorVAE, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Negative ELBO, BCE and KL in nats per image, with one sample of z (the example's loss, divided by N)."""
    reconstruction, mu, logvar = model(x)
    bce = F.binary_cross_entropy(reconstruction, x.flatten(1), reduction="sum") / len(x)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum() / len(x)
    return bce + kl, bce, kl


def anchor_vae(seed: int) -> dict:
    """The pytorch/examples recipe: BCE summed + KL, Adam 1e-3, batch 128, 10 epochs; test terms in nats per image."""
    torch.manual_seed(seed)
    train, test = data.load_mnist("train"), data.load_mnist("test")
    model = AnchorVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(ANCHOR_EPOCHS):
        for x, _ in train.batches(128, shuffle=True, generator=generator):
            loss = anchor_terms(model, x)[0]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    totals = torch.zeros(3)
    with torch.no_grad():
        for x in test.images.split(1000):
            totals += torch.tensor([t.item() for t in anchor_terms(model, x)]) * len(x)
    negative_elbo, bce, kl = (totals / len(test)).tolist()
    result = {"training seconds": seconds, "negative ELBO": negative_elbo, "reconstruction": bce, "KL": kl}
    print(f"anchor VAE, seed {seed}: {result}", flush=True)
    return result


def spread(values: list[float]) -> dict:
    """Mean, sample standard deviation, smallest and largest of a figure measured once per seed."""
    mean = sum(values) / len(values)
    sd = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5 if len(values) > 1 else 0.0
    return {"mean": mean, "sd": sd, "min": min(values), "max": max(values), "values": values}


def over_seeds(runs: list[dict]) -> dict:
    """{figure: spread} from one dict of figures per seed."""
    return {name: spread([run[name] for run in runs]) for name in runs[0]}


def data_record(train_images: int, test_images: int) -> dict:
    """The data a run measured on, named by its image counts (never by where it lies on the machine)."""
    full = (train_images, test_images) == (60_000, 10_000)
    return {"training images": train_images, "test images": test_images,
            "name": "full MNIST" if full else "a subset of MNIST, not full MNIST"}


def data_name(record: dict) -> str:
    return (f"{record['training images']:,} training and {record['test images']:,} test images "
            f"({record['name']})")


def cpu_name() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def checkpoints_read(lesson: str) -> list[str]:
    """The lessons whose saved models ``lesson`` loads (``checkpoints.load_module("04_conv_vae_encoder", ...)``)."""
    notebook = nbformat.read(ROOT / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    source = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    return [earlier for earlier in lessons() if earlier < lesson and f'load_module("{earlier}_' in source]


def main(only: list[str]) -> None:
    unknown = sorted(set(only) - set(lessons()))
    if unknown:
        raise SystemExit(f"no such lesson: {', '.join(unknown)}; the lessons are {', '.join(lessons())}")
    record_path = ROOT / "benchmarks" / "results.json"
    previous = json.loads(record_path.read_text()) if record_path.is_file() else {}
    train_images = len(data.load_mnist("train"))
    today = datetime.date.today().isoformat()
    results = {
        "date": today,
        "machine": f"{cpu_name()}, {os.cpu_count()} CPU cores, "
                   f"{'CUDA: ' + torch.cuda.get_device_name() if torch.cuda.is_available() else 'no GPU'}",
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "torchvision": torchvision.__version__},
        "data": data_record(train_images, len(data.load_mnist("test"))),
        "seeds": list(SEEDS),
    }
    measured = only or lessons()
    if only:  # the rest of the record stays, if it describes the same machine, data and seeds
        for lesson in only:
            missing = sorted(set(checkpoints_read(lesson)) - set(only))
            if missing:
                raise SystemExit(f"{lesson} runs the models that {', '.join(missing)} saves: name them too, so that "
                                 "it explores the model of its own seed.")
        for key in ("machine", "versions", "data", "seeds"):
            if previous.get(key) != results[key]:
                raise SystemExit(f"benchmarks/results.json was measured with another {key} ({previous.get(key)!r}, "
                                 f"here {results[key]!r}): run the whole benchmark, without naming lessons.")
        results.update({key: previous[key] for key in ("data path", "anchor")})
        results["lessons"] = {lesson: {"date": previous["date"], **previous["lessons"].get(lesson, {})}
                              for lesson in lessons()}
    else:
        results["data path"] = data_path()
        results["lessons"] = {lesson: {} for lesson in lessons()}
    with tempfile.TemporaryDirectory() as checkpoints:
        for lesson in measured:
            results["lessons"][lesson] = {"date": today, "smoke": run_lesson(lesson, True, checkpoints)[0]}
    per_seed = {lesson: [] for lesson in measured}
    for seed in SEEDS:  # the whole course once per seed, so that lesson 5 explores the model of its own seed
        with tempfile.TemporaryDirectory() as checkpoints:
            for lesson in measured:
                timing, metrics = run_lesson(lesson, False, checkpoints, seed)
                results["lessons"][lesson].setdefault("full", timing)  # seed 0: the run a student makes
                per_seed[lesson].append({"wall seconds": timing["seconds"], **metrics})
    for lesson, runs in per_seed.items():
        results["lessons"][lesson]["quality"] = over_seeds(runs)
    results["course"] = {mode + " seconds": sum(runs[mode]["seconds"] for runs in results["lessons"].values())
                         for mode in ("full", "smoke")}
    if not only:
        results["anchor"] = over_seeds([anchor_vae(seed) for seed in SEEDS])
    if "grading" in previous:  # by benchmarks/grading.py
        results["grading"] = previous["grading"]
    record_path.write_text(json.dumps(results, indent=2) + "\n")
    (ROOT / "benchmarks" / "results.md").write_text(report(results))
    print((ROOT / "benchmarks" / "results.md").read_text())


COURSE_MINUTES, LESSON_MINUTES = 15, 4  # targets for the whole course and for each lesson, full mode, 2-core CPU
CONV_TARGET = 100.0  # nats per test image, and at least ANCHOR_MARGIN better than the anchor
ANCHOR_MARGIN = 5.0


def met(ok: bool) -> str:
    return "met" if ok else "**missed**"


def earlier_lessons(results: dict) -> str:
    """A sentence naming the lessons whose figures were measured before the record's date (by a run that named
    other lessons), or nothing."""
    earlier = [f"{lesson} on {runs['date']}" for lesson, runs in results["lessons"].items()
               if runs.get("date", results["date"]) != results["date"]]
    return f" Measured earlier on the same machine and data: {', '.join(earlier)}." if earlier else ""


def report(results: dict) -> str:
    """results.md: what was measured, where, and how it compares with the course's targets."""
    seeds = results["seeds"]
    lines = [
        "# Benchmark results", "",
        f"Written by `make bench` (`python benchmarks/run.py`) on {results['date']}.{earlier_lessons(results)}", "",
        f"- machine: {results['machine']}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in results["versions"].items()),
        f"- data: {data_name(results['data'])}",
        f"- seeds: {', '.join(map(str, seeds))} (each lesson runs once per seed in full mode; figures are given as "
        "mean ± standard deviation over the seeds)", "",
        "## 1. Data path (one training epoch of lesson 1's autoencoder)", "",
        "| batch size | classic DataLoader (s) | helpers batching (s) | batches already in memory (s) | speed-up over classic | throughput vs zero data cost |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in results["data path"]:
        lines.append(f"| {row['batch size']} | {row['classic s']:.2f} | {row['helpers s']:.2f} | {row['zero-cost s']:.2f} "
                     f"| {row['speed-up']:.1f}x | {row['throughput fraction']:.2f} |")
    lessons = results["lessons"]
    full_total, smoke_total = results["course"]["full seconds"], results["course"]["smoke seconds"]
    lines += ["", "Targets: at least 5x faster than the classic pipeline at the lessons' batch sizes, and at least "
              "0.95 of the zero-data-cost throughput.", ""]
    for row in results["data path"]:
        ceiling = row["classic s"] / row["zero-cost s"]
        if row["speed-up"] < 5:
            lines.append(f"- At batch size {row['batch size']} the speed-up target is missed: {row['speed-up']:.1f}x "
                         f"instead of 5x. Even batches already in memory, with no data cost at all, are only "
                         f"{ceiling:.1f}x faster than the classic pipeline here: what remains of an epoch is the "
                         f"model's own compute, which no data path can remove.")
        if row["throughput fraction"] < 0.95:
            lines.append(f"- At batch size {row['batch size']} the helpers reach {row['throughput fraction']:.2f} of the "
                         "zero-data-cost throughput, below the 0.95 target.")
    lines += ["", "## 2. Lessons, executed headless in a fresh kernel", "",
              "Wall time and peak memory of the seed-0 run (the run a student makes), and the wall time over all seeds.",
              "", "| lesson | smoke: wall time | smoke: peak memory | full: wall time | full: peak memory "
              "| full: wall time over the seeds |", "| --- | --- | --- | --- | --- | --- |"]
    for lesson, runs in lessons.items():
        wall = runs["quality"]["wall seconds"]
        lines.append(f"| {lesson} | {runs['smoke']['seconds']:.0f} s | {runs['smoke']['peak MB']:.0f} MB "
                     f"| {runs['full']['seconds']:.0f} s | {runs['full']['peak MB']:.0f} MB "
                     f"| {wall['mean']:.0f} ± {wall['sd']:.0f} s |")
    lines.append(f"| whole course | {smoke_total:.0f} s | | {full_total:.0f} s ({full_total / 60:.1f} min) | | |")
    slowest = max(lessons, key=lambda lesson: lessons[lesson]["full"]["seconds"])
    gpu = "CUDA" in results["machine"]
    lines += ["", f"Targets on a 2-core CPU: the whole course in full mode within {COURSE_MINUTES} minutes "
              f"({met(full_total <= 60 * COURSE_MINUTES)}: {full_total / 60:.1f} min), and no lesson over "
              f"{LESSON_MINUTES} minutes ({met(lessons[slowest]['full']['seconds'] <= 60 * LESSON_MINUTES)}: the "
              f"slowest, {slowest}, took {lessons[slowest]['full']['seconds']:.0f} s). This run: "
              f"{'a GPU (see the machine line)' if gpu else f'{os.cpu_count()} CPU cores, no GPU'}.",
              "", f"## 3. Model quality on the test split (full mode, {len(seeds)} seeds)", "",
              "| lesson | figure | mean ± sd | smallest | largest |", "| --- | --- | --- | --- | --- |"]
    for lesson, runs in lessons.items():
        for name, value in runs["quality"].items():
            if name != "wall seconds":
                lines.append(f"| {lesson} | {name} | {value['mean']:.4g} ± {value['sd']:.2g} | {value['min']:.4g} "
                             f"| {value['max']:.4g} |")
    if "anchor" in results and "04_conv_vae" in lessons:
        lines += ["", anchor_report(results["anchor"], lessons["04_conv_vae"]["quality"], len(seeds))]
    if "grading" in results:
        lines += ["", grading_report(results["grading"])]
    return "\n".join(lines) + "\n"


def anchor_report(anchor: dict, conv: dict, n_seeds: int) -> str:
    """Lesson 4's conv VAE (and its MLP at equal time) against the pytorch/examples VAE, measured in the same run."""
    def row(name: str, training: str, prefix: str, seconds: dict) -> str:
        terms = [conv[f"{prefix}{term}"] if prefix else anchor[term]
                 for term in ("negative ELBO", "reconstruction", "KL")]
        return (f"| {name} | {training} | {seconds['mean']:.0f} ± {seconds['sd']:.0f} s "
                f"| {terms[0]['mean']:.1f} ± {terms[0]['sd']:.1f} | {terms[1]['mean']:.1f} | {terms[2]['mean']:.1f} |")

    target = min(CONV_TARGET, anchor["negative ELBO"]["mean"] - ANCHOR_MARGIN)
    reached = conv["conv negative ELBO"]["mean"]
    return "\n".join([
        f"### Lesson 4 against the anchor ({n_seeds} seeds)", "",
        "Test negative ELBO in nats per image over the 28x28 pixels of MNIST, one sample of z per image. The anchor is "
        "the VAE of pytorch/examples (`vae/main.py`), trained here in the same run.", "",
        "| model | training | training time | negative ELBO | reconstruction | KL |", "| --- | --- | --- | --- | --- | --- |",
        row("anchor: MLP 784-400-20", f"{ANCHOR_EPOCHS} epochs, batch 128, Adam 1e-3", "", anchor["training seconds"]),
        row("lesson 4: conv VAE (scored on the central 28x28 of its 32x32 output)", "one-cycle schedule, batch 128",
            "conv ", conv["conv training seconds"]),
        row("lesson 4: MLP VAE 1024-256-16, equal training time",
            f"{conv['MLP epochs']['mean']:.0f} epochs (mean), one-cycle, batch 128", "MLP ", conv["MLP training seconds"]),
        "", f"Target: the conv VAE at most {CONV_TARGET:.0f} nats and at least {ANCHOR_MARGIN:.0f} better than the "
        f"anchor, so at most {target:.1f}: {met(reached <= target)} ({reached:.1f})."])


def grading_report(grading: dict) -> str:
    """Section 4 of results.md: the figures benchmarks/grading.py measured (on its own date)."""
    one, copies = grading["one submission, all lessons"], grading["copies of lesson 01"]
    n, cores = grading["students"], grading["cores"]

    def each(seconds: float) -> str:
        return f"{seconds:.0f} s ({seconds / n:.1f} s each, {60 * n / seconds:.1f} per minute)"

    return "\n".join([
        "## 4. Grading (`make grade`)", "",
        f"Written by `make bench-grading` (`python benchmarks/grading.py --students {n}`) on {grading['date']}: "
        "wall time of one `tools/grade.py` batch of complete submissions (execution in smoke mode, recording, "
        f"feedback, CSV export). Sandbox: {grading['sandbox']}.", "",
        f"| batch | 1 worker | {cores} workers (all cores) |", "| --- | --- | --- |",
        f"| one student, all {len(grading['lessons'])} lessons | {one['1 worker s']:.0f} s | {one['all cores s']:.0f} s |",
        f"| {n} students, lesson 01 | {each(copies['1 worker s'])} | {each(copies['all cores s'])} |", "",
        f"- the same {n} submissions with one worker and no sandbox: {each(copies['1 worker, no sandbox s'])}; the "
        f"sandbox costs {grading['sandbox cost %']:+.1f} % per submission;",
        f"- on a Dask `LocalCluster` of {cores} worker processes: {each(copies['LocalCluster s'])}."])


if __name__ == "__main__":
    main(sys.argv[1:])
