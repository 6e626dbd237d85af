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
    "scrapers/fetch/archive.py": "the evidence archive: bodies on disk by sha256",
    "scrapers/interpret/taxonomy.py": "bundled data: scrapers/data/causes.yaml",
    "scrapers/interpret/categories.py": "bundled data: scrapers/data/sectors.yaml",
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


# --- scrapers/ by stage -----------------------------------------------------------------------
# fetch -> read -> interpret, each stage importing only those it may (docs/architecture.md):
# reading needs nothing of fetching, interpreting nothing of fetching; fetching reads a page's
# text to tell a denial page from the document (read/htmltext.py). The top-level modules
# (records, source, validate, vocabulary, sniff, redact) are what every stage shares and
# import no stage; registry.py finds the sources (an annotation under TYPE_CHECKING is not an import). Sources and
# discovery read documents and may use any stage.
STAGE_MAY_IMPORT = {
    "top": {"top"},
    "read": {"top", "read"},
    "interpret": {"top", "read", "interpret"},
    "fetch": {"top", "read", "fetch"},
    "discovery": {"top", "read", "interpret", "discovery"},
    "sources": {"top", "read", "interpret", "fetch", "discovery", "sources"},
    "registry": {"top", "sources"},  # scrapers/registry.py: finds the modules of scrapers.sources
}


def _stage(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 2 and parts[1] in STAGE_MAY_IMPORT:
        return parts[1]
    if module == "scrapers.registry":
        return "registry"
    return "sources" if parts[1:2] == ["sources"] else "top"


def _runtime_scrapers_imports(path: Path) -> set[str]:
    """Modules of scrapers/ that ``path`` imports when run (TYPE_CHECKING blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for n in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("scrapers.")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "scrapers":
                found |= {f"scrapers.{a.name}" for a in node.names}
            elif node.module.startswith("scrapers."):
                found.add(node.module)
    return found


def test_scrapers_stages_import_only_earlier_stages():
    files = sorted((REPO / "scrapers").rglob("*.py"))
    stages_seen = set()
    offenders = {}
    for f in files:
        module = ".".join(f.relative_to(REPO).with_suffix("").parts)
        stage = _stage(module)
        stages_seen.add(stage)
        bad = sorted(
            m for m in _runtime_scrapers_imports(f) if _stage(m) not in STAGE_MAY_IMPORT[stage]
        )
        if bad:
            offenders[module] = bad
    assert stages_seen == set(STAGE_MAY_IMPORT), "a stage has no modules (renamed?)"
    assert offenders == {}


def test_the_stage_rule_sees_a_forbidden_import(tmp_path):
    """The check itself: an import from a later stage is found, one under TYPE_CHECKING is not."""
    bad = tmp_path / "m.py"
    bad.write_text(
        "from typing import TYPE_CHECKING\n"
        "from scrapers.interpret import counts\n"
        "if TYPE_CHECKING:\n    from scrapers.fetch.http import Fetcher\n"
    )
    found = _runtime_scrapers_imports(bad)
    assert found == {"scrapers.interpret"} or found == {"scrapers.interpret.counts"}
    assert _stage("scrapers.read.tables") == "read"
    assert "interpret" not in STAGE_MAY_IMPORT[_stage("scrapers.read.tables")]
