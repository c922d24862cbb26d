"""No module in src/ imports, even lazily, a module that imports it back.

The graph is read from the source with `ast`, so it holds every import a
module could run: at the top, inside functions (lazy), under
``if TYPE_CHECKING:`` (mypy follows those), and the names a package's
`_SOURCES` table loads on first use. Importing ``a.b.c`` also runs the
``__init__`` of ``a`` and ``a.b``; that is not counted, or every submodule
of a package with a lazy table would be in a cycle with it. An explicit
``import a`` or ``from a import name`` does count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

SRC = REPO_ROOT / "src"

LAZY_TABLE = "_SOURCES"
"""A package-level dict from public name to the module it is loaded from."""

Graph = Mapping[str, set[str]]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def resolve(module: str, is_package: bool, target: str | None, level: int) -> str:
    """The absolute name of ``from {"." * level}{target} import ...``."""
    if level == 0:
        return target or ""
    base = module.split(".")
    base = base[: len(base) - level + is_package]
    return ".".join([*base, target] if target else base)


def lazy_table(tree: ast.Module) -> Iterator[str]:
    """The module names a `_SOURCES` table maps names to."""
    for node in tree.body:
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        named = any(isinstance(t, ast.Name) and t.id == LAZY_TABLE for t in targets)
        if named and isinstance(node.value, ast.Dict):
            for value in node.value.values:
                assert isinstance(value, ast.Constant), ast.dump(value)
                yield str(value.value)


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The modules in ``known`` that ``module`` imports anywhere in its source."""
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = resolve(module, is_package, node.module, node.level)
            for alias in node.names:
                # A submodule is imported itself; any other name is read
                # from the source (a package's lazy table, say).
                submodule = f"{source}.{alias.name}"
                found.add(submodule if submodule in known else source)
    for target in lazy_table(tree):
        level = len(target) - len(target.lstrip("."))
        found.add(resolve(module, is_package, target.lstrip(".") or None, level))
    return (found & known) - {module}


def import_graph(root: Path) -> dict[str, set[str]]:
    """Each module under ``root`` and the modules under it that it imports."""
    paths = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    known = set(paths)
    return {module: imports_of(module, path, known) for module, path in paths.items()}


def find_cycle(graph: Graph) -> list[str] | None:
    """One cycle in ``graph`` as ``[a, b, ..., a]``, or `None` if it has none."""
    state: dict[str, str] = {}  # "open" while on the path, "done" after

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target, path)) is not None:
                return cycle
        path.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start, [])) is not None:
            return cycle
    return None


def test_no_module_in_src_imports_a_module_that_imports_it_back() -> None:
    cycle = find_cycle(import_graph(SRC))

    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


def test_the_graph_holds_lazy_imports_and_the_lazy_table() -> None:
    graph = import_graph(SRC)

    # A function-level import: the browse command loads the browser to serve it.
    assert "queue_browser" in graph["queue_core._cli._browse_command"]
    # A name in queue_core's lazy table, and one its TYPE_CHECKING block names.
    assert "queue_core._redis" in graph["queue_core"]
    assert "queue_core._exceptions" in graph["queue_core"]


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b", "c"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
        ({"x": set(), "a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ],
)
def test_the_cycle_finder_reports_a_cycle_exactly_when_there_is_one(
    graph: Graph, cycle: list[str] | None
) -> None:
    assert find_cycle(graph) == cycle


def test_the_graph_sees_relative_lazy_and_table_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text('_SOURCES = {"Thing": "._thing"}\n')
    (package / "_thing.py").write_text("def f():\n    from . import _other\n")
    (package / "_other.py").write_text("import pkg\n")

    graph = import_graph(tmp_path)

    assert graph == {
        "pkg": {"pkg._thing"},
        "pkg._thing": {"pkg._other"},
        "pkg._other": {"pkg"},
    }
    assert find_cycle(graph) == ["pkg", "pkg._thing", "pkg._other", "pkg"]
