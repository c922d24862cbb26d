"""queue_browser as a package: typed, named extra, and never loaded by queue_core."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import typing

import pytest

import queue_browser
from tests.test_shims import _annotated


@pytest.mark.parametrize(
    "obj",
    [pytest.param(obj, id=name) for name, obj in _annotated(queue_browser)],
)
def test_public_annotations_resolve_at_runtime(obj: object) -> None:
    hints = typing.get_type_hints(obj, include_extras=True)

    assert not [h for h in hints.values() if isinstance(h, str | typing.ForwardRef)]


@pytest.mark.parametrize("dependency", ["jinja2", "starlette"])
def test_importing_the_browser_without_its_dependencies_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, dependency: str
) -> None:
    for name in list(sys.modules):
        if name == dependency or name.startswith(f"{dependency}."):
            monkeypatch.setitem(sys.modules, name, None)
        elif name == "queue_browser" or name.startswith("queue_browser."):
            monkeypatch.delitem(sys.modules, name)

    with pytest.raises(
        ImportError, match=re.escape('pip install "queue-core[browser]"')
    ):
        importlib.import_module("queue_browser")


def test_queue_core_and_its_command_line_load_no_browser_nor_web_server() -> None:
    heavy = ("queue_browser", "jinja2", "starlette", "uvicorn")
    code = (
        "import sys, queue_core, queue_core._cli; "
        "from queue_core import *; "
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )

    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout

    assert output.strip() == "[]"
