"""The house (developers' guide): insurance imports nothing of hospital or pharmacy, its modules
form no import cycle at any depth, and no import hides inside a function. The mock insurer is
one small module per concern."""

from __future__ import annotations

import ast
from pathlib import Path

from core.config import ROOT

PACKAGE = ROOT / "insurance"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _targets(node: ast.AST) -> list[str]:
    """The modules an import statement loads (a `from package import module` loads the module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module:
        return [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in MODULES else node.module for a in node.names]
    return []


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = {t for node in ast.walk(tree) for t in _targets(node) if t in MODULES and t != name}
        parent = name.rsplit(".", 1)[0]
        if parent in MODULES and parent != name:
            edges.add(parent)  # loading a module runs its package's __init__ first
        graph[name] = edges
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = "done"
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_insurance_modules_form_no_import_cycle():
    assert _cycle(_graph()) is None, " -> ".join(_cycle(_graph()))


def test_no_import_hides_inside_a_function():
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top_level = {id(node) for node in tree.body}
        hidden = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top_level
        ]
        assert not hidden, f"{name}: imports inside functions at lines {hidden}"


def test_insurance_knows_nothing_of_hospital_or_pharmacy():
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {t for node in ast.walk(tree) for t in _targets(node)}
        assert not {n for n in names if n.split(".")[0] in ("hospital", "pharmacy")}, name


def test_the_mock_insurer_is_small_modules():
    sizes = {name: len(path.read_text().splitlines()) for name, path in MODULES.items() if ".mock_insurer" in name}
    assert len(sizes) >= 10 and max(sizes.values()) < 250, sizes
