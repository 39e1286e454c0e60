"""The house (developers' guide), for the whole code base: dependencies run one way
(core ← hospital ← pharmacy → insurance; chronic, dashboard, interchange and regulator sit on top), no import
cycle at any depth, no import hidden inside a function, and no module doing a page's worth of
things (over 600 lines)."""

from __future__ import annotations

import ast
from pathlib import Path

from core.config import ROOT

PACKAGES = (
    "core",
    "standins",
    "hospital",
    "pharmacy",
    "insurance",
    "chronic",
    "dashboard",
    "interchange",
    "regulator",
)
# What each package may import besides itself.
ALLOWED = {
    "core": set(),
    "standins": set(),  # the stand-in services' shared plumbing: beneath both mocks, names no domain
    "insurance": {"core", "standins"},
    "hospital": {"core"},
    "pharmacy": {"core", "hospital", "insurance"},
    "chronic": {"core", "hospital"},
    "dashboard": {"core", "hospital", "pharmacy", "insurance"},
    "interchange": {"core", "hospital", "pharmacy", "chronic"},
    "regulator": {"core", "standins", "hospital", "chronic"},
}
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def _targets(node: ast.AST) -> list[str]:
    """The project modules an import statement loads (`from package import module` loads it)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module for a in node.names]
    return []


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name, tree in TREES.items():
        edges = {t for node in ast.walk(tree) for t in _targets(node) if t in MODULES and t != name}
        parent = name.rsplit(".", 1)[0]
        if parent in MODULES and parent != name:
            edges.add(parent)  # loading a module runs its package's __init__ first
        graph[name] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def test_no_import_cycle_at_any_depth():
    assert _cycles(_graph()) == []


def test_dependencies_run_one_way():
    wrong = [
        f"{name} imports {target}"
        for name, edges in _graph().items()
        for target in edges
        if target.split(".")[0] != name.split(".")[0] and target.split(".")[0] not in ALLOWED[name.split(".")[0]]
    ]
    assert wrong == []


def test_no_import_hides_inside_a_function():
    hidden = [
        f"{name}:{node.lineno}"
        for name, tree in TREES.items()
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert hidden == []


def test_no_module_does_a_page_of_things():
    long = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()}
    assert {name: lines for name, lines in long.items() if lines > MAX_LINES} == {}


def test_the_structure_checks_can_fail():
    """The cycle finder sees a cycle when there is one (so a pass above means something)."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
