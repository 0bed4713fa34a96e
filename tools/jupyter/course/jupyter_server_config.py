"""JupyterLab server settings for the course, students and instructors alike (tools/lab.py puts this folder on
JUPYTER_CONFIG_PATH).

A lesson opens unmodified. The notebooks store the kernel's language as ``language_info = {"name": "python"}``;
the running kernel reports more (its Python version, its syntax highlighting), and JupyterLab writes that into the
open notebook, which then shows the unsaved-changes dot before any edit. The contents manager below gives the
notebook the full ``language_info`` of this environment's Python kernel when it is loaded, wherever the stored one
agrees with it, so there is nothing left for the kernel to change. The file itself is untouched until it is saved.
"""

import copy

from ipykernel.ipkernel import IPythonKernel
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager


def complete_language_info(notebook: dict) -> None:
    """Give a Python 3 notebook the kernel's whole ``language_info`` where what it stores is a part of it."""
    metadata = notebook.get("metadata", {})
    stored = metadata.get("language_info", {})
    kernel = IPythonKernel.language_info
    if (metadata.get("kernelspec", {}).get("name") == "python3"
            and all(kernel.get(key) == value for key, value in stored.items())):
        metadata["language_info"] = copy.deepcopy(kernel)


class CourseContentsManager(AsyncLargeFileManager):
    async def get(self, path, content=True, type=None, format=None, **kwargs):
        model = await super().get(path, content=content, type=type, format=format, **kwargs)
        if model.get("type") == "notebook" and isinstance(model.get("content"), dict):
            complete_language_info(model["content"])
        return model


c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)
c.ServerApp.contents_manager_class = CourseContentsManager
