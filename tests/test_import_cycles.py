"""The pure packages import in one direction inside themselves too: no module imports another
that (through its own module-level imports) imports it back, and no cycle is hidden by moving an
import into a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("rules", "scrapers")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(package: str) -> dict[str, Path]:
    return {_module_name(p): p for p in sorted((REPO / package).rglob("*.py"))}


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The module of ours that ``import name`` / ``from name import x`` loads (its package's
    ``__init__`` included), or None for a third-party name."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path, known: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(modules imported at module level, modules imported inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    top, nested = set(), set()
    functions = [
        n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    inside = {id(n) for f in functions for n in ast.walk(f)}
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for t in targets:
            m = _resolve(t, known)
            if m is not None:
                (nested if id(node) in inside else top).add(m)
    return top, nested


def _graph(package: str):
    known = {}
    for p in PACKAGES:
        known.update(_modules(p))
    mods = _modules(package)
    edges = {m: _imports(p, known) for m, p in mods.items()}
    return known, edges


def _reaches(start: str, goal: str, top: dict[str, set[str]]) -> bool:
    seen, todo = set(), [start]
    while todo:
        m = todo.pop()
        if m == goal:
            return True
        if m in seen:
            continue
        seen.add(m)
        # a submodule naming its own package (``from a.b import c`` inside a/b/) finds the package
        # already being initialised: how a package is built, not a cycle
        todo.extend(d for d in top.get(m, ()) if not m.startswith(d + "."))
    return False


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_level_import_cycles(package):
    known, edges = _graph(package)
    top = {m: e[0] for m, e in edges.items()}
    cycles = sorted(
        (m, d)
        for m, deps in top.items()
        for d in deps
        if d != m and not m.startswith(d + ".") and _reaches(d, m, top)
    )
    assert cycles == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_cycle_hidden_in_a_function_level_import(package):
    """A function-level import of a module that imports this one back at module level is a cycle
    put out of sight (rules.obligations once imported rules.checks inside a validator)."""
    known, edges = _graph(package)
    top = {m: e[0] for m, e in edges.items()}
    hidden = sorted(
        (m, d) for m, (_, nested) in edges.items() for d in nested if d != m and _reaches(d, m, top)
    )
    assert hidden == []


def test_the_cycle_check_sees_a_hidden_cycle():
    """The check above is not vacuous: the old shape (obligations importing checks inside a
    validator, checks importing obligations) is reported."""
    top = {"rules.checks": {"rules.obligations"}, "rules.obligations": set()}
    assert _reaches("rules.checks", "rules.obligations", top)
    assert not _reaches("rules.obligations", "rules.checks", top)
