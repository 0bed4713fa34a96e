"""One-click launches: Colab badges and the Colab setup cell, links that resolve, JupyterLab serving the lessons."""

import json
import os
import re
import socket
import subprocess
import sys
import time
import types
import urllib.request
from pathlib import Path

import nbformat
import pytest
import torch

from course import LESSONS, ROOT, edition, read, release, release_path, secret_lines, source_path, stripped_lines

SETTINGS = release.course_settings()
EDITION = release.course_settings(edition=True)
COURSE_URL = f"git+{SETTINGS['repository']}@{SETTINGS['branch']}"


def setup_source(lesson: str) -> str:
    cell = read(release_path(lesson)).cells[1]
    assert cell.id == release.SETUP_ID
    return cell.source


@pytest.fixture
def recorded_commands(monkeypatch):
    commands = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: commands.append((command, kwargs)))
    return commands


@pytest.mark.parametrize("lesson", LESSONS)
def test_on_colab_the_setup_cell_installs_helpers_and_leaves_torch_alone(lesson, monkeypatch, recorded_commands, capsys):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    exec(setup_source(lesson), {})
    [(command, options)] = recorded_commands
    assert command == [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", COURSE_URL]
    assert options == {"check": True}
    assert "GPU" in capsys.readouterr().out


def test_on_colab_with_a_gpu_there_is_no_hint(monkeypatch, recorded_commands, capsys):
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-test")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    exec(setup_source(LESSONS[0]), {})
    assert len(recorded_commands) == 1 and capsys.readouterr().out == ""


@pytest.mark.parametrize("lesson", LESSONS)
def test_elsewhere_the_setup_cell_does_nothing(lesson, monkeypatch, recorded_commands, capsys):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    exec(setup_source(lesson), {})
    assert recorded_commands == [] and capsys.readouterr().out == ""


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_student_notebook_starts_with_its_own_badge_and_the_setup_cell(lesson):
    badge, setup = read(release_path(lesson)).cells[:2]
    assert badge.cell_type == "markdown" and release.colab_url(SETTINGS, lesson) in badge.source
    assert setup.cell_type == "code" and COURSE_URL in setup.source


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_student_notebook_asks_colab_for_a_gpu_runtime(lesson):
    metadata = read(release_path(lesson)).metadata
    assert metadata.get("accelerator") == "GPU" and metadata.get("colab", {}).get("gpuType"), (
        f"notebooks/{lesson} does not ask Colab for a GPU: run `make release`")
    assert metadata["kernelspec"]["name"] == "python3"


def test_writing_the_launch_cells_adds_colab_s_gpu_request_and_keeps_other_metadata(tmp_path):
    copy = tmp_path / f"{LESSONS[0]}.ipynb"
    notebook = read(source_path(LESSONS[0]))
    notebook.metadata = {"kernelspec": notebook.metadata["kernelspec"], "language_info": {"name": "python"}}
    nbformat.write(notebook, copy)
    assert release.write_launch_cells(copy, SETTINGS)
    metadata = read(copy).metadata
    assert metadata["accelerator"] == "GPU" and metadata["kernelspec"]["name"] == "python3"
    assert not release.write_launch_cells(copy, SETTINGS)


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_launch_cells_follow_the_course_settings(lesson, tmp_path):
    copy = tmp_path / f"{lesson}.ipynb"
    copy.write_bytes(source_path(lesson).read_bytes())
    assert not release.write_launch_cells(copy, SETTINGS), "run `make release` to update the launch cells"
    moved = dict(SETTINGS, branch="spring-term")
    assert release.write_launch_cells(copy, moved)
    cells = read(copy).cells
    assert "/blob/spring-term/" in cells[0].source and "@spring-term" in cells[1].source
    assert [c.id for c in cells[2:]] == [c.id for c in read(source_path(lesson)).cells[2:]]


def _links(text: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r'href="([^"]+)"', text)


def _repository_path(link: str) -> Path | None:
    """The file in this repository a link points at, or None for a link outside it (an image badge, a paper)."""
    repo = SETTINGS["repository"].removeprefix("https://github.com/")
    for prefix in (f"https://colab.research.google.com/github/{repo}/blob/{SETTINGS['branch']}/",
                   f"{SETTINGS['repository']}/blob/{SETTINGS['branch']}/"):
        if link.startswith(prefix):
            return ROOT / link.removeprefix(prefix)
    binder = re.match(rf"https://mybinder.org/v2/gh/{repo}/{SETTINGS['branch']}\?urlpath=lab/tree/(.+)", link)
    if binder:
        return ROOT / binder.group(1)
    if re.match(r"^[a-z]+://", link) or link.startswith("#"):
        assert "colab.research.google.com/github" not in link and "mybinder.org/v2" not in link, (
            f"{link} does not point at {SETTINGS['repository']} on branch {SETTINGS['branch']}")
        return None
    return ROOT / link.split("#")[0]


def test_every_link_in_the_readme_and_the_notebooks_points_at_a_file_that_exists():
    documents = {ROOT / "README.md": (ROOT / "README.md").read_text()}
    for lesson in LESSONS:
        for path in (release_path(lesson), source_path(lesson)):
            documents[path] = "\n".join(c.source for c in read(path).cells if c.cell_type == "markdown")
    checked = 0
    for document, text in documents.items():
        for link in _links(text):
            target = _repository_path(link)
            if target is not None:
                assert target.exists(), f"{document.relative_to(ROOT)} links to {link}, which does not exist"
                checked += 1
    assert checked >= 2 * len(LESSONS)


@pytest.mark.slow
def test_make_lab_serves_every_student_notebook_without_errors_or_instructor_tools(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "course-test"
    log = tmp_path / "server.log"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    with open(log, "w") as output:
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "tools" / "lab.py"), "student", "--no-browser", "--allow-root", f"--port={port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"],
            stdout=output, stderr=subprocess.STDOUT, env=env)
    try:
        base = f"http://127.0.0.1:{port}"

        def get(path: str) -> bytes:
            request = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
                return response.read()

        for _ in range(120):
            try:
                get("/api/status")
                break
            except OSError:
                time.sleep(0.5)
        page = get("/lab")
        assert b"JupyterLab" in page and b'"name": "@jupyter/nbgrader"' in page  # nbgrader's lab extension loads
        config = json.loads(re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                      page, re.S).group(1))
        assert {"@jupyter/nbgrader:menu", "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:assignment-list",
                "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:create-assignment"} <= set(
                    config["disabledExtensions"]), "students see no instructor tools"
        assert "@jupyter/nbgrader:validate-assignment" not in config["disabledExtensions"]
        for lesson in LESSONS:
            model = get(f"/api/contents/{lesson}/{lesson}.ipynb")
            assert b'"type": "notebook"' in model or b'"type":"notebook"' in model
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log.read_text()
    assert "nbgrader" in text and "extension was successfully loaded" in text
    errors = [line for line in text.splitlines() if line.startswith("[E ") or "Traceback" in line]
    assert errors == [], "the server logged errors:\n" + text[-6000:]


COLAB_PREINSTALLED = ["torch", "torchvision", "numpy", "matplotlib", "scikit-learn", "tqdm", "ipywidgets", "ipykernel"]
HELPERS_DISTRIBUTION = "ae-vae-course-helpers"


@pytest.fixture(scope="module")
def colab_python(tmp_path_factory) -> str:
    """The Python of a fresh environment with only what Colab preinstalls (shared by the simulated sessions)."""
    venv = tmp_path_factory.mktemp("colab") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *COLAB_PREINSTALLED],
                   check=True, capture_output=True)
    return python


def _committed_edition(folder: Path) -> Path:
    """The student edition, written into ``folder`` and committed there as a git repository (what pip clones)."""
    edition.build(folder)
    identity = ["-c", "user.name=Course", "-c", "user.email=course@example.org"]
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "Student edition"]):
        subprocess.run(["git", *identity, *command], cwd=folder, check=True)
    return folder


def _installed_files(python: str) -> list[Path]:
    """The files pip installed for the course's helpers in the environment of ``python``."""
    shown = subprocess.run([python, "-m", "pip", "show", "--files", HELPERS_DISTRIBUTION], capture_output=True,
                           text=True, check=True).stdout
    location = Path(re.search(r"^Location: (.+)$", shown, re.M).group(1))
    listed = shown.split("Files:", 1)[1].split()
    return [location / name for name in listed if (location / name).is_file()]


@pytest.mark.slow
@pytest.mark.parametrize("source", ["repository", "student edition"])
def test_a_simulated_colab_session_runs_the_first_cells_of_a_student_notebook(source, colab_python, tmp_path):
    """A fresh environment with only what Colab preinstalls: the setup cell installs helpers from the repository (or
    the student edition) that the badge names, the lesson starts, and what was installed holds no answer."""
    python = colab_python
    assert subprocess.run([python, "-c", "import helpers"], cwd=tmp_path, capture_output=True).returncode != 0
    if source == "repository":
        notebooks, url, local = ROOT / "notebooks", COURSE_URL, ROOT
    else:
        local = _committed_edition(tmp_path / "edition")
        notebooks, url = local / "notebooks", f"git+{EDITION['repository']}@{EDITION['branch']}"

    lesson = LESSONS[0]
    cells = [c for c in read(notebooks / lesson / f"{lesson}.ipynb").cells if c.cell_type == "code"]
    first_exercise = next(i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("solution"))
    setup = cells[0].source.replace(url, f"git+file://{local}")  # the badge's repository, as a local checkout
    assert setup != cells[0].source
    program = "\n\n".join([setup] + [c.source for c in cells[1:first_exercise]])
    env = {"PATH": f"{Path(python).parent}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
           "COLAB_RELEASE_TAG": "simulated", "COURSE_SMOKE": "1", "MPLBACKEND": "Agg",
           "COURSE_DATA": os.environ["COURSE_DATA"]}
    freeze_before = subprocess.run([python, "-m", "pip", "freeze"], capture_output=True, text=True).stdout
    try:
        done = subprocess.run([python, "-c", program], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=900)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "smoke mode" in done.stdout and "training and" in done.stdout
        freeze_after = subprocess.run([python, "-m", "pip", "freeze"], capture_output=True, text=True).stdout
        added = set(freeze_after.splitlines()) - set(freeze_before.splitlines())
        assert [line.split(" @ ")[0].split("==")[0] for line in added] == [HELPERS_DISTRIBUTION], added
        assert set(freeze_before.splitlines()) <= set(freeze_after.splitlines()), "the setup cell changed Colab's packages"
        installed = _installed_files(python)
        assert any(path.name == "checks.py" for path in installed), installed
        secrets = set().union(*(secret_lines(lesson) for lesson in LESSONS))
        for path in installed:
            assert not secrets & stripped_lines(path), f"the setup cell installed {path}, which reveals an answer"
    finally:
        subprocess.run([python, "-m", "pip", "uninstall", "--yes", "--quiet", HELPERS_DISTRIBUTION], capture_output=True)
