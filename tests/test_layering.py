"""The three packages keep one direction: monitor imports scrapers and rules; neither of those
imports monitor or sqlalchemy. Their generic names must resolve to this repository."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN = {"monitor", "sqlalchemy", "alembic", "psycopg"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["scrapers", "rules"])
def test_pure_packages_do_not_import_the_shell_or_the_database(package):
    files = sorted((REPO / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    offenders = {str(f.relative_to(REPO)): sorted(_imports(f) & FORBIDDEN) for f in files}
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}


@pytest.mark.parametrize("package", ["scrapers", "rules", "monitor"])
def test_package_names_resolve_inside_the_repository(package):
    module = importlib.import_module(package)
    assert Path(module.__file__).resolve().parent == REPO / package


def test_rules_do_not_read_the_clock():
    """Only the shell reads the clock: rules take `now`/`as_of` as arguments."""
    offenders = []
    for f in sorted((REPO / "rules").rglob("*.py")):
        text = f.read_text(encoding="utf-8")
        for needle in ("datetime.now(", "date.today(", "time.time(", "datetime.utcnow("):
            if needle in text:
                offenders.append(f"{f.relative_to(REPO)}: {needle}")
    assert offenders == []
