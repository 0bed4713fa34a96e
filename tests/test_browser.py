"""JupyterLab as students (`make lab`) and instructors (`make instructor`) meet it, in a real browser.

Each role's server is started by tools/lab.py, as the Makefile starts it, on a free local port with a token, on a
temporary course (never the course's own notebooks/ or grading/), and driven by Debian's Chromium, headless, through
Playwright. ``.ci/run`` installs Chromium with apt; Playwright's own browser downloads are never used. Each check
saves a screenshot, even when it fails, to build/browser/<test>.png (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import nbgrader
import pytest
from nbgrader.api import Gradebook

from course import LESSONS, ROOT, read, release_path
from release import answered, scratch_course

# isort: split
import grade  # tools/grade.py: course.py puts tools/ on sys.path

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("COURSE_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
# What Debian's Chromium needs headless, as root, on a machine with no network beyond loopback.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]
try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    sync_playwright = None
if sync_playwright is None or CHROMIUM is None:
    pytest.fail("the browser tests need Playwright for Python (pip install -e '.[test]') and Chromium "
                "(sudo apt-get install chromium); Playwright's own browser downloads are not used", pytrace=False)

SCREENSHOTS = ROOT / "build" / "browser"
TOKEN = "course-browser-test"
VIEWPORT = {"width": 1400, "height": 900}  # a laptop-sized window
SERVER_START = 120  # seconds; the instructor's server first records every lesson in the gradebook
VALIDATE = 300_000  # ms; Validate runs the whole notebook (smoke mode) while the server waits for it
STUDENT_LESSON, WIDGET_LESSON = "01_autoencoder", "05_interpolation"
INSTRUCTOR_TOOLS = ["nbgrader:open-formgrader", "nbgrader:open-assignment-list", "nbgrader:open-course-list",
                    "nbgrader:open-create-assignment"]
# Server-log lines that a working course set-up never produces.
AVOIDABLE = re.compile(r"^\[E |Traceback|exchange directory|Unwritable directory|unable to open database|"
                       r"not serializable|404 GET /api/contents/solutions", re.M)


class Lab:
    """A JupyterLab server started by tools/lab.py for ``role`` on ``course``, logging to ``folder/server.log``."""

    def __init__(self, role: str, course: Path, folder: Path, env: dict[str, str]):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.base, self.log = f"http://127.0.0.1:{port}", folder / "server.log"
        command = [sys.executable, str(ROOT / "tools" / "lab.py"), role, f"--course={course}", "--no-browser",
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
                   "--LabApp.expose_app_in_browser=True", f"--LabApp.workspaces_dir={folder / 'workspaces'}",
                   f"--LabApp.user_settings_dir={folder / 'settings'}"]
        if os.getuid() == 0:
            command.append("--allow-root")
        env = dict(env, JUPYTER_TOKEN=TOKEN, JUPYTER_RUNTIME_DIR=str(folder / "runtime"),
                   JUPYTER_CONFIG_DIR=str(folder / "config"))
        with open(self.log, "w") as output:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=folder)
        deadline = time.monotonic() + SERVER_START
        while True:
            try:
                self.get("/api/status")
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the {role} server did not start:\n{self.log.read_text()[-4000:]}")
                time.sleep(0.5)

    def get(self, path: str) -> int:
        request = urllib.request.Request(self.base + path, headers={"Authorization": f"token {TOKEN}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def url(self, path: str = "lab") -> str:
        """An address that logs in with the token and starts from a fresh workspace (no tabs left open before)."""
        return f"{self.base}/{path}?token={TOKEN}&reset"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def environment(checkpoints: Path, widgets: bool = False) -> dict[str, str]:
    """Lessons in smoke mode on the test data, saving checkpoints to ``checkpoints``; with ``widgets``, a person is
    taken to be watching, so lesson 5 shows its sliders (Validate and grading stay headless: nbgrader says so)."""
    env = dict(os.environ, COURSE_SMOKE="1", COURSE_CHECKPOINTS=str(checkpoints))
    if widgets:
        env["COURSE_HEADLESS"] = "0"
        env.pop("CI", None)
    return env


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser page, laptop-sized; its screenshot is saved when the test ends, passed or failed."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    tab = context.new_page()
    yield tab
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"))
    finally:
        context.close()


def open_lab(page, lab: Lab, path: str = "lab") -> None:
    page.goto(lab.url(path))
    page.wait_for_function("() => window.jupyterapp", timeout=120_000)
    page.evaluate("async () => { await window.jupyterapp.restored; }")


def open_notebook(page, lab: Lab, path: str):
    """Open the notebook at ``path``, wait for its kernel, and return its panel."""
    open_lab(page, lab, f"lab/tree/{path}")
    page.wait_for_function("""() => { const w = window.jupyterapp.shell.currentWidget;
        return w?.context?.isReady && w.sessionContext.session?.kernel?.status === 'idle'; }""", timeout=120_000)
    return page.locator(f"[id='{page.evaluate('() => window.jupyterapp.shell.currentWidget.id')}']")


def validate(page, panel) -> str:
    """Press Validate and return the text of nbgrader's result dialog, once it says whether the notebook passed."""
    panel.locator("jp-button.validate-button").click()
    dialog = page.locator(".jp-Dialog.nbgrader-SuccessDialog, .jp-Dialog.nbgrader-ErrorDialog")
    dialog.wait_for(timeout=VALIDATE)
    return dialog.get_attribute("class") + "\n" + dialog.inner_text()


def server_errors(lab: Lab) -> list[str]:
    return [line for line in lab.log.read_text().splitlines() if AVOIDABLE.search(line)]


# --- students: make lab ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """`make lab` on a course of its own: the committed student copies, plus an answered copy of lessons 1 and 5."""
    folder = tmp_path_factory.mktemp("student")
    (folder / "course").mkdir()
    course = scratch_course(folder / "course", [])
    shutil.copytree(ROOT / "notebooks", course / "notebooks")
    for lesson in (STUDENT_LESSON, WIDGET_LESSON):
        nbformat.write(answered(lesson, read(release_path(lesson))), course / "notebooks" / lesson / "answered.ipynb")
    lab = Lab("student", course, folder, environment(folder / "checkpoints", widgets=True))
    yield lab
    lab.stop()


def test_a_student_opens_a_lesson_unmodified_with_no_instructor_tools_and_no_error(student, page):
    panel = open_notebook(page, student, f"{STUDENT_LESSON}/{STUDENT_LESSON}.ipynb")
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-current")
    expect(tab).to_contain_text(f"{STUDENT_LESSON}.ipynb")
    time.sleep(3)  # the kernel's language info arrives after it is idle; a notebook it changes turns dirty then
    expect(tab).not_to_have_class(re.compile(r"\bjp-mod-dirty\b"))
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.dirty") is False
    expect(panel.locator("jp-button.validate-button")).to_be_visible()
    menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    assert "Run" in menus and "Nbgrader" not in menus, menus
    for command in INSTRUCTOR_TOOLS:
        assert not page.evaluate(f"() => window.jupyterapp.commands.hasCommand('{command}')"), command
    assert page.locator(".jp-Dialog").count() == 0
    assert page.locator(".Toastify__toast").count() == 0, page.locator(".Toastify__toast").all_inner_texts()
    assert student.get("/formgrader") == 404 and student.get("/assignments") == 404
    assert student.get(f"/nbgrader_version?version={nbgrader.__version__}") == 200  # Validate's own route is there


def test_validate_reports_success_on_an_answered_lesson(student, page):
    panel = open_notebook(page, student, f"{STUDENT_LESSON}/answered.ipynb")
    result = validate(page, panel)
    assert "nbgrader-SuccessDialog" in result and "Success! Your notebook passes all the tests." in result, result


def test_validate_names_every_unfinished_exercise_of_an_untouched_lesson(student, page):
    panel = open_notebook(page, student, f"{STUDENT_LESSON}/{STUDENT_LESSON}.ipynb")
    result = validate(page, panel)
    exercises = sum(cell.id.endswith("_hidden_tests") for cell in read(release_path(STUDENT_LESSON)).cells)
    assert "nbgrader-ErrorDialog" in result, result
    assert re.findall(r"Exercise (\d+) is not done yet", result) == [str(n) for n in range(1, exercises + 1)], result


def test_lesson_5_sliders_change_the_decoded_image_and_its_output_fits_the_window(student, page):
    panel = open_notebook(page, student, f"{WIDGET_LESSON}/answered.ipynb")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function("""() => { const w = window.jupyterapp.shell.currentWidget;
        const code = w.content.widgets.filter(c => c.model.type === 'code');
        return code.every(c => c.model.executionCount !== null) && w.sessionContext.session.kernel.status === 'idle'; }""",
                           timeout=300_000, polling=1000)
    errors = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert panel.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']").count() == 0
    explorer = panel.locator(".widget-hbox").filter(has=page.locator(".widget-slider")).first
    explorer.scroll_into_view_if_needed()
    sliders = explorer.locator(".widget-slider")
    expect(sliders).to_have_count(4)
    image = explorer.locator("img")
    before = image.get_attribute("src")
    handle = sliders.first.locator(".noUi-handle").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(handle["x"] + 60, handle["y"] + handle["height"] / 2, steps=5)
    page.mouse.up()
    expect(sliders.first.locator(".widget-readout")).not_to_have_text("0.00")
    expect(image).not_to_have_attribute("src", before)
    # Printed lines wrap in JupyterLab wherever the window ends, even mid-word: each must fit as it is. The note
    # that smoke mode appends to a figure ("[smoke mode: ...]") is left out: full mode does not print it.
    too_wide = panel.evaluate("""panel => { const found = [];
        const ruler = document.createElement('span'); ruler.style.whiteSpace = 'pre'; document.body.append(ruler);
        for (const pre of panel.querySelectorAll('.jp-OutputArea-output pre')) {
            ruler.style.font = getComputedStyle(pre).font;
            for (const line of pre.textContent.split('\\n')) {
                ruler.textContent = line.replace(/ \\[smoke mode:.*?\\]/, '');
                if (ruler.offsetWidth > pre.clientWidth) found.push(line);
            }
        }
        ruler.remove(); return found; }""")
    assert too_wide == [], "lines wider than the output area at 1400 x 900:\n" + "\n".join(too_wide)
    assert errors.count() == 0, errors.all_inner_texts()


def test_the_student_server_logged_nothing_the_course_could_avoid(student):
    assert server_errors(student) == [], student.log.read_text()[-6000:]


# --- instructors: make instructor --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def instructor(tmp_path_factory):
    """`make instructor` on a fresh copy of the course: its sources and committed student copies, no gradebook."""
    folder = tmp_path_factory.mktemp("instructor")
    (folder / "course").mkdir()
    course = scratch_course(folder / "course", [])
    for lesson in LESSONS:
        for part in ("solutions", "notebooks"):
            if (ROOT / part / lesson).is_dir():
                shutil.copytree(ROOT / part / lesson, course / part / lesson,
                                ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    released = {path: path.read_bytes() for path in (course / "notebooks").rglob("*.ipynb")}
    lab = Lab("instructor", course, folder, environment(folder / "checkpoints"))
    lab.course, lab.released = course, released
    yield lab
    lab.stop()


def open_formgrader(page, lab: Lab):
    open_lab(page, lab)
    page.evaluate("() => window.jupyterapp.commands.execute('nbgrader:open-formgrader')")
    return page.frame_locator("iframe")


def formgrader_says(formgrader, action: str) -> str:
    """Close the message box Formgrader shows after ``action`` (release, collect, ...) and return its text."""
    modal = formgrader.locator(".modal.in, .modal.show").filter(has_text=action)
    modal.wait_for(timeout=120_000)
    text = modal.inner_text()
    modal.get_by_role("button", name="OK").click()
    return text


def test_make_instructor_records_every_lesson_and_makes_the_exchange_leaving_notebooks_as_they_are(instructor):
    with Gradebook(f"sqlite:///{instructor.course / 'grading' / 'gradebook.db'}") as gradebook:
        assert sorted(a.name for a in gradebook.assignments) == LESSONS
    assert {p: p.read_bytes() for p in (instructor.course / "notebooks").rglob("*.ipynb")} == instructor.released
    assert (instructor.course / "grading" / "exchange").is_dir()
    assert "not what solutions" not in instructor.log.read_text(), "the committed student copies are current"


def test_formgrader_lists_every_lesson(instructor, page):
    formgrader = open_formgrader(page, instructor)
    for lesson in LESSONS:
        expect(formgrader.locator("td.name", has_text=lesson)).to_be_visible()
    menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
    assert "Nbgrader" in menus, menus


def test_formgrader_opens_the_source_of_a_lesson(instructor, page):
    lesson = LESSONS[0]
    formgrader = open_formgrader(page, instructor)
    formgrader.get_by_role("link", name=lesson, exact=True).click()
    expect(page.locator(".jp-BreadCrumbs")).to_contain_text(f"solutions/{lesson}")
    page.locator(".jp-DirListing-item", has_text=f"{lesson}.ipynb").dblclick()
    page.wait_for_function(f"""() => {{ const w = window.jupyterapp.shell.currentWidget;
        return w?.context?.path === 'solutions/{lesson}/{lesson}.ipynb' && w.context.isReady
            && w.sessionContext.session?.kernel?.status === 'idle'; }}""", timeout=120_000)
    source = page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.toJSON()")
    assert any("### BEGIN HIDDEN TESTS" in "".join(cell["source"]) for cell in source["cells"])
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-current")
    expect(tab).to_contain_text(f"{lesson}.ipynb")
    time.sleep(3)  # as for students: the source opens unmodified once its kernel has said what it runs
    expect(tab).not_to_have_class(re.compile(r"\bjp-mod-dirty\b"))


def test_release_fetch_submit_collect_grade_and_feedback_on_one_machine(instructor, page):
    """Formgrader releases lesson 1 to the local exchange; the Assignment List fetches it, and submits it once the
    exercises are answered; Formgrader collects it; `make grade`'s code grades it; Formgrader shows the score, releases
    the feedback, and the Assignment List fetches it."""
    lesson, course = LESSONS[0], instructor.course
    formgrader = open_formgrader(page, instructor)
    formgrader.locator("tr", has_text=lesson).locator("td.release a").click()
    assert "Successfully released" in formgrader_says(formgrader, "release")

    page.evaluate("() => window.jupyterapp.commands.execute('nbgrader:open-assignment-list')")
    assignments = page.locator(".jp-MainAreaWidget:not(.lm-mod-hidden)").filter(has_text="Released assignments")
    assignments.get_by_role("button", name="Fetch").click()
    expect(assignments.get_by_role("button", name="Submit")).to_be_visible()
    fetched = course / "grading" / "trial-student" / lesson / f"{lesson}.ipynb"
    nbformat.write(answered(lesson, read(fetched)), fetched)  # the trial student does the exercises
    assignments.get_by_role("button", name="Submit").click()
    expect(assignments.get_by_role("button", name="Fetch Feedback")).to_be_visible()

    page.evaluate("() => window.jupyterapp.commands.execute('nbgrader:open-formgrader')")
    formgrader = page.frame_locator("iframe")
    formgrader.locator("tr", has_text=lesson).locator("td.collect a").click()
    assert "Successfully collected" in formgrader_says(formgrader, "collect")
    [student] = [p.name for p in (course / "grading" / "submitted").iterdir()]

    [graded] = grade.grade(course, [lesson], workers=1, timeout=120)
    assert (graded.status, graded.score, graded.max_score) == ("graded", 8, 8), graded.notes

    formgrader.get_by_role("link", name="Manage Assignments").click()
    formgrader.locator("tr", has_text=lesson).locator("td.num-submissions a").click()
    row = formgrader.locator("tr").filter(has=formgrader.locator("td.student-id", has_text=student))
    expect(row.locator("td.score")).to_have_text("8 / 8")
    expect(row.locator("td.status")).to_have_text("graded")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "formgrader-scores.png"))

    formgrader.get_by_role("link", name="Manage Assignments").click()
    formgrader.locator("tr", has_text=lesson).locator("td.release-feedback a").click()
    assert "Successfully released feedback" in formgrader_says(formgrader, "feedback")
    page.evaluate("() => window.jupyterapp.commands.execute('nbgrader:open-assignment-list')")
    assignments = page.locator(".jp-MainAreaWidget:not(.lm-mod-hidden)").filter(has_text="Released assignments")
    assignments.get_by_role("button", name="Fetch Feedback").click()
    expect(assignments.get_by_text("view feedback")).to_be_visible()
    assert list((course / "grading" / "trial-student" / lesson / "feedback").glob(f"*/{lesson}.html"))


def test_the_instructor_server_logged_nothing_the_course_could_avoid(instructor):
    assert server_errors(instructor) == [], instructor.log.read_text()[-6000:]
