"""nbgrader's Execute preprocessor, hardened for submissions that are not to be trusted (used by tools/grade.py).

- Before the first cell runs, the kernel records the functions and classes of the modules that tests compare
  with (``GUARDED_MODULES``, ``torch.Tensor``, ``torch.nn.Module``) and IPython's input and AST transformers.
  Before every test cell it puts them all back, so an answer that replaced ``torch.allclose``,
  ``checks.check_close`` or ``math.isclose`` with an always-true version is tested with the real ones. The
  restore runs as a user expression, which IPython evaluates without passing it through input transformers.
  Names of the notebook that refer to modules (``checks``, ``torch``, ``F``, ...) are remembered before each answer
  cell and bound again before each test cell, so rebinding ``checks`` to a lenient stand-in does not help either.
  If the restore cannot run, the test cell gets an error output and scores 0.
- Output a test cell writes to stderr (a library's warning, a progress bar) is relabelled stdout: nbgrader
  scores any stderr output as a failure, and the tests say failure by raising.
- When the kernel dies, every test cell that did not run yet gets an error output (a cell without output would
  score full marks), and the cells before it keep their scores.
- In the sandbox of tools/sandbox.py, nbgrader cannot be traced or read by the kernel, and once the notebook has
  run, every other process of the sandbox is stopped before nbgrader writes the executed notebook: nothing the
  submission started can change it afterwards. The files the run created are then deleted, so that a submission
  that filled its disk still gets its executed notebook written and graded.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import Execute

import sandbox  # tools/sandbox.py, beside this file wherever it runs

GUARDED_MODULES = ("builtins", "math", "operator", "copy", "numpy", "numpy.testing", "torch", "torch.testing",
                   "torch.nn.functional", "helpers.checks")
GUARDED_CLASSES = (("torch", "Tensor"), ("torch.nn", "Module"))

SNAPSHOT = '''
def _grading_guard(name, module_names, class_names):
    import importlib, sys, types
    modules = {}
    for module_name in module_names:
        try:
            modules[module_name] = importlib.import_module(module_name)
        except ImportError:
            pass
    def kept(namespace):
        return {k: v for k, v in namespace.items() if callable(v) and not isinstance(v, types.ModuleType)}
    saved = {module_name: kept(vars(module)) for module_name, module in modules.items()}
    classes = [getattr(modules[owner], cls) for owner, cls in class_names if owner in modules]
    saved_classes = [(cls, dict(vars(cls))) for cls in classes]
    shell = get_ipython()
    hooks = ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")
    saved_hooks = {hook: list(getattr(shell, hook)) for hook in hooks}
    bindings = {}

    def remember():
        bindings.update({key: value for key, value in shell.user_ns.items()
                         if isinstance(value, types.ModuleType) and not key.startswith("_")})
        return "remembered"

    def restore():
        for module_name, module in modules.items():
            sys.modules[module_name] = module
            for key, value in saved[module_name].items():
                if vars(module).get(key) is not value:
                    setattr(module, key, value)
        for cls, attributes in saved_classes:
            for key in set(vars(cls)) - set(attributes):
                delattr(cls, key)
            for key, value in attributes.items():
                if vars(cls).get(key) is not value:
                    setattr(cls, key, value)
        for hook, items in saved_hooks.items():
            getattr(shell, hook)[:] = items
        shell.set_custom_exc((), None)
        for key, module in bindings.items():
            if shell.user_ns.get(key) is not module:
                shell.user_ns[key] = module
        return "restored"

    sys.modules[name] = types.SimpleNamespace(remember=remember, restore=restore)
'''


def sandbox_folder() -> Path | None:
    """The sandbox's writable folder, when this nbgrader runs under the sandbox's PID 1 (tools/sandbox.py): the
    only place where stopping every other process is right."""
    folder = os.environ.get(sandbox.MARKER)
    return Path(folder) if folder and os.getppid() == 1 else None


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file() or path.is_symlink()}


def stop_other_processes() -> None:
    """Stop every process of the sandbox but its PID 1 and this one, until none is left."""
    for _ in range(500):
        if not sandbox.kill_all():
            return
        time.sleep(0.01)


def error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class GuardedExecute(Execute):
    """Execute, with the guard of the module docstring around every test cell."""

    def preprocess(self, nb, resources=None, km=None):
        self._guard = f"_grading_guard_{secrets.token_hex(8)}"
        self._guarded = False
        self._dead = False
        folder = sandbox_folder()
        if folder:
            sandbox.not_dumpable()  # the kernel may not trace or read nbgrader
            token = os.environ.pop(sandbox.TOKEN, "")  # before the kernel starts: it must not inherit it
            before = files_under(folder)
        try:
            nb, resources = super().preprocess(nb, resources, km)
            if folder:
                nb.metadata[sandbox.SIGNED] = token  # the whole notebook ran (tools/sandbox.py checks it)
            return nb, resources
        finally:
            if folder:
                stop_other_processes()
                for path in files_under(folder) - before:
                    path.unlink(missing_ok=True)

    def _silent(self, code: str, expression: str = "") -> bool:
        """Run ``code`` (and ``expression``) in the kernel without output; return whether both succeeded."""
        expressions = {"guard": expression} if expression else {}
        msg_id = self.kc.execute(code, silent=True, store_history=False, user_expressions=expressions)
        reply = self.wait_for_reply(msg_id)
        if reply is None or reply["content"]["status"] != "ok":
            return False
        return all(value.get("status") == "ok" for value in reply["content"].get("user_expressions", {}).values())

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        grade = utils.is_grade(cell)
        if self._dead:
            cell.outputs = [error_output("DeadKernelError", "not run: the kernel died in an earlier cell")]
            return cell, resources
        try:
            if not self._guarded:
                self._guarded = self._silent(SNAPSHOT + f"_grading_guard({self._guard!r}, {GUARDED_MODULES!r}, "
                                             f"{GUARDED_CLASSES!r})\ndel _grading_guard")
            if utils.is_solution(cell) and self._guarded:
                self._silent("", f"__import__('sys').modules[{self._guard!r}].remember()")
            restored = not grade or (self._guarded and self._silent(
                "", f"__import__('sys').modules[{self._guard!r}].restore()"))
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead = True
            cell.outputs = [error_output("DeadKernelError", "the kernel died while this cell ran")]
            return cell, resources
        if grade:
            for output in cell.outputs:
                if output.output_type == "stream" and output.name == "stderr":
                    output.name = "stdout"
            if not restored:
                cell.outputs.append(error_output("GradingGuardError", "the grader could not restore the functions "
                                                 "that tests compare with"))
        return cell, resources
