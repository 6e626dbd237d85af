"""The three packages keep one direction: monitor imports scrapers and rules; neither of those
imports monitor or sqlalchemy. Their generic names must resolve to this repository. Only named
places read the clock, and the pure packages read no files but the named ones."""

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


# --- the clock and the disk -------------------------------------------------------------------
# Only the shell reads the clock, through one method: Context.now() (monitor/context.py), which
# the demo and tests replace. Anything else takes `now`/`as_of` as an argument.
CLOCK_ALLOWED = {
    "monitor/context.py": "Context.now(): the one clock every command reads",
    "monitor/locks.py": "the holder stamp a person reads in a lock row (never compared)",
    "monitor/leader.py": "the same holder stamp, for the leader lock of `monitor serve`",
}
# The pure packages read no files, but for these (named, with the reason).
FILE_IO_ALLOWED = {
    "rules/obligations.py": "the one loader of rule files (rules/obligations/*.yaml)",
    "scrapers/archive.py": "the evidence archive: bodies on disk by sha256",
    "scrapers/taxonomy.py": "bundled data: scrapers/data/causes.yaml",
    "scrapers/categories.py": "bundled data: scrapers/data/sectors.yaml",
    "scrapers/discovery/patterns.py": "bundled data: scrapers/data/discovery.yaml",
}
_CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
}
_PATH_IO = {
    "read_text",
    "read_bytes",
    "write_text",
    "write_bytes",
    "mkdir",
    "rmdir",
    "unlink",
    "touch",
    "rename",
    "iterdir",
    "glob",
    "rglob",
    "open",
}
_IN_MEMORY_OPENERS = {"pdfplumber"}  # pdfplumber.open(io.BytesIO(body)) reads bytes in memory


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Call):
            yield node


def _owner(node: ast.AST) -> str | None:
    """The name a method is called on: ``datetime`` in ``datetime.now()`` and in
    ``datetime.datetime.now()``; None for an expression (``Path(x).read_text()``)."""
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def _clock_reads(path: Path) -> list[str]:
    found = []
    for call in _calls(path):
        f = call.func
        if isinstance(f, ast.Attribute) and (_owner(f.value), f.attr) in _CLOCK_CALLS:
            found.append(f"{_owner(f.value)}.{f.attr}() line {call.lineno}")
    return found


def _file_io(path: Path) -> list[str]:
    found = []
    for call in _calls(path):
        f = call.func
        if isinstance(f, ast.Name) and f.id == "open":
            found.append(f"open() line {call.lineno}")
        elif isinstance(f, ast.Attribute):
            owner = _owner(f.value)
            if owner in ("os", "shutil") or (
                f.attr in _PATH_IO and owner not in _IN_MEMORY_OPENERS
            ):
                found.append(f"{owner + '.' if owner else '.'}{f.attr}() line {call.lineno}")
    return found


def _modules(*packages: str) -> list[Path]:
    return sorted(f for p in packages for f in (REPO / p).rglob("*.py"))


def test_only_the_named_places_read_the_clock():
    offenders = {
        str(f.relative_to(REPO)): _clock_reads(f) for f in _modules("scrapers", "rules", "monitor")
    }
    offenders = {k: v for k, v in offenders.items() if v and k not in CLOCK_ALLOWED}
    assert offenders == {}, "take `now` from the Context (or as an argument) instead"


def test_the_pure_packages_touch_no_files_but_the_named_ones():
    offenders = {str(f.relative_to(REPO)): _file_io(f) for f in _modules("scrapers", "rules")}
    offenders = {k: v for k, v in offenders.items() if v and k not in FILE_IO_ALLOWED}
    assert offenders == {}, "pass bytes or data in; only the named modules read files"


def test_the_checks_see_what_they_are_for(tmp_path):
    """The detectors find a clock read and file I/O, and the exceptions still need them."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import datetime, time\nfrom pathlib import Path\n"
        "a = datetime.datetime.now()\nb = time.time()\nc = date.today()\n"
        "d = Path('x').read_text()\ne = open('y')\nf = os.replace('a', 'b')\n"
        "g = pdfplumber.open(io.BytesIO(b''))\n",
        encoding="utf-8",
    )
    assert [r.split("(")[0] for r in _clock_reads(sample)] == [
        "datetime.now",
        "time.time",
        "date.today",
    ]
    assert [r.split("(")[0] for r in _file_io(sample)] == [".read_text", "open", "os.replace"]
    for name in CLOCK_ALLOWED:
        assert _clock_reads(REPO / name), f"{name} no longer reads the clock: drop its exception"
    for name in FILE_IO_ALLOWED:
        assert _file_io(REPO / name), f"{name} no longer reads files: drop its exception"
