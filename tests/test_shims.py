"""What the three framework shims promise alike: typing and install hints."""

from __future__ import annotations

import importlib
import inspect
import re
import sys
import typing
from collections.abc import Iterator
from types import ModuleType

import pytest

import queue_core.pytest_plugin
import queue_fastapi
import queue_litestar
import queue_starlette

PUBLIC_MODULES = (
    queue_starlette,
    queue_fastapi,
    queue_litestar,
    queue_core.pytest_plugin,
)


def _annotated(module: ModuleType) -> Iterator[tuple[str, object]]:
    """Every public class, its methods and properties, and every function."""
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj):
            yield name, obj
            for attr, member in vars(obj).items():
                if attr.startswith("_") and attr not in {"__init__", "__call__"}:
                    continue
                function = member.fget if isinstance(member, property) else member
                if inspect.isfunction(function) and function.__qualname__.startswith(
                    f"{obj.__qualname__}."
                ):
                    yield f"{name}.{attr}", function
        elif inspect.isfunction(obj):
            yield name, obj


ANNOTATED = [
    pytest.param(obj, id=f"{module.__name__}.{name}")
    for module in PUBLIC_MODULES
    for name, obj in _annotated(module)
]


@pytest.mark.parametrize("obj", ANNOTATED)
def test_public_annotations_resolve_at_runtime(obj: object) -> None:
    hints = typing.get_type_hints(obj, include_extras=True)

    assert not [h for h in hints.values() if isinstance(h, str | typing.ForwardRef)]
    assert inspect.isclass(obj) or "return" in hints


def test_the_lifespan_arq_lifespan_returns_has_resolvable_annotations() -> None:
    lifespan = queue_starlette.arq_lifespan(mode="test")

    hints = typing.get_type_hints(inspect.unwrap(lifespan))

    assert set(hints) == {"app", "return"}


@pytest.mark.parametrize(
    ("shim", "framework", "extra"),
    [
        ("queue_starlette", "starlette", "queue-core[starlette]"),
        ("queue_fastapi", "fastapi", "queue-core[fastapi]"),
        ("queue_litestar", "litestar", "queue-core[litestar]"),
    ],
)
def test_importing_a_shim_without_its_framework_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, shim: str, framework: str, extra: str
) -> None:
    for name in list(sys.modules):
        if name == framework or name.startswith(f"{framework}."):
            monkeypatch.setitem(sys.modules, name, None)
        elif name == shim or name.startswith(f"{shim}."):
            monkeypatch.delitem(sys.modules, name)

    with pytest.raises(ImportError, match=re.escape(f'pip install "{extra}"')):
        importlib.import_module(shim)
