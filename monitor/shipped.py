"""Where the files the monitor ships with live: its migrations and the demo's documents.

Both are authored at the repository's top level: migrations in ``alembic/`` (so
``alembic revision --autogenerate`` works from the root, with ``alembic.ini``), the documents
the demo serves in ``tests/fixtures/<source>/`` beside the tests that read them. A wheel
carries copies of both inside this package, under ``monitor/_shipped/`` (``setup.py`` copies
them at build time), so an installed monitor needs no checkout. This module answers with the
shipped copy when there is one, else with the checkout's directory.
"""

from __future__ import annotations

from pathlib import Path

from monitor.errors import MonitorError

PACKAGE_DIR = Path(__file__).resolve().parent
SHIPPED_DIR = PACKAGE_DIR / "_shipped"  # only in an installed wheel (see setup.py)
CHECKOUT_DIR = PACKAGE_DIR.parent  # the repository root, when running from a checkout

# name inside _shipped/ -> the checkout's authoring directory (relative to its root), what it holds
AUTHORED = {
    "alembic": (Path("alembic"), "migrations"),
    "demo_documents": (Path("tests") / "fixtures", "demo documents"),
    "docs": (Path("docs"), "documents (docs/)"),
}


def _locate(name: str) -> Path:
    shipped = SHIPPED_DIR / name
    if shipped.is_dir():
        return shipped
    # Only a checkout has a pyproject.toml beside the package; in site-packages the sibling
    # `alembic/` is the Alembic library itself, never the project's migrations.
    relative, what = AUTHORED[name]
    authored = CHECKOUT_DIR / relative
    if (CHECKOUT_DIR / "pyproject.toml").is_file() and authored.is_dir():
        return authored
    raise MonitorError(
        f"the monitor's {what} are missing: neither {shipped} "
        f"(an installed wheel) nor {authored} (a checkout) exists; reinstall "
        "the package"
    )


def migrations_dir() -> Path:
    """The Alembic script directory (env.py, versions/)."""
    return _locate("alembic")


def demo_documents_dir() -> Path:
    """The directory holding one ``<source>/manifest.yaml`` (and its documents) per source."""
    return _locate("demo_documents")


def data_dictionary() -> Path:
    """docs/data-dictionary.md, which `monitor datasette` builds its metadata from."""
    return _locate("docs") / "data-dictionary.md"
