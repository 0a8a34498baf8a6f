"""No import cycles inside the project's packages.

The graph is read from the source with ``ast``, not by importing: every ``import`` and
``from … import`` anywhere in a module counts, at the top, inside functions and under
``if TYPE_CHECKING:`` alike, since a deferred import only hides a knot, it does not untie it.
An edge goes to the imported module (``from geo import files`` is an edge to ``geo.files``;
``from geo.maps import render_map`` to ``geo.maps``). The package ``__init__`` that Python runs
on the way to a submodule is not counted as an edge of the importer, or every package that
re-exports its API would be a cycle. The test walks every ``.py`` file under each package
directory, so it needs no list of modules and keeps working as the packages are reorganised.

Run it as a script to print the cycles: ``python tests/test_import_cycles.py [PACKAGE ...]``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("portal", "selection", "geo")


def module_name(path: Path, root: Path = ROOT) -> str:
    """``geo/render_svg.py`` -> ``geo.render_svg``; ``geo/__init__.py`` -> ``geo``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules(package: str, root: Path = ROOT) -> dict[str, Path]:
    """Every module of ``package`` (a directory under ``root``) by name."""
    return {
        module_name(path, root): path
        for path in sorted((root / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def imported_names(module: str, path: Path) -> Iterable[str]:
    """Absolute dotted names ``module`` imports, including ``from X import name`` as ``X.name``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            # ``X.name`` resolves to the submodule when there is one, else to ``X`` itself.
            base = _from_base(module, is_package, node)
            yield from (
                base if alias.name == "*" else f"{base}.{alias.name}" for alias in node.names
            )


def _from_base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    parts = module.split(".")
    if not is_package:
        parts.pop()
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join([*parts, node.module] if node.module else parts)


def import_graph(packages: Iterable[str], root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of ``packages`` it imports."""
    modules: dict[str, Path] = {}
    for package in packages:
        modules.update(package_modules(package, root))
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target in imported_names(name, path):
            found = _known(target, modules)
            if found is not None and found != name:
                graph[name].add(found)
    return graph


def _known(name: str, modules: Mapping[str, Path]) -> str | None:
    """The longest prefix of ``name`` that is one of ``modules`` (None for other packages)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for node in sorted(graph):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(found)


def describe(component: list[str], graph: Mapping[str, set[str]]) -> str:
    """A cycle's modules and the imports between them."""
    members = set(component)
    edges = [f"{a} -> {b}" for a in component for b in sorted(graph[a] & members)]
    return ", ".join(component) + "\n    " + "\n    ".join(edges)


@pytest.mark.parametrize("package", [p for p in PACKAGES if (ROOT / p).is_dir()])
def test_package_has_no_import_cycle(package: str) -> None:
    graph = import_graph([package])
    assert len(graph) > 1
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(describe(c, graph) for c in found)


def test_graph_sees_function_level_type_checking_and_relative_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    sources = {
        "__init__.py": "from pkg.a import thing\n",
        "a.py": "from . import b\nthing = 1\n",
        "b.py": "def late():\n    from pkg.sub import c\n",
        "sub/__init__.py": "",
        "sub/c.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..a import thing\n"
        ),
        "d.py": "import pkg.sub.c\nimport os\n",
    }
    for name, text in sources.items():
        (package / name).write_text(text, encoding="utf-8")
    graph = import_graph(["pkg"], tmp_path)
    assert graph == {
        "pkg": {"pkg.a"},
        "pkg.a": {"pkg.b"},
        "pkg.b": {"pkg.sub.c"},
        "pkg.sub": set(),
        "pkg.sub.c": {"pkg.a"},
        "pkg.d": {"pkg.sub.c"},
    }
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.sub.c"]]


def test_cycles_finds_a_knot_and_ignores_a_chain() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


if __name__ == "__main__":
    chosen = sys.argv[1:] or [p for p in PACKAGES if (ROOT / p).is_dir()]
    status = 0
    for package in chosen:
        graph = import_graph([package])
        found = cycles(graph)
        edges = sum(len(targets) for targets in graph.values())
        print(f"{package}: {len(graph)} modules, {edges} imports, {len(found)} cycle(s)")
        for component in found:
            print("  " + describe(component, graph))
        status = status or int(bool(found))
    sys.exit(status)
