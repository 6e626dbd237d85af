"""Build step that ships the monitor's migrations and the demo's documents inside the package.

Everything else about the build is declared in pyproject.toml. Migrations are authored in the
top-level ``alembic/`` and the demo's documents in ``tests/fixtures/<source>/``; a wheel copies
both under ``monitor/_shipped/`` so that ``monitor db upgrade`` and ``monitor demo`` work without
a checkout (monitor/shipped.py finds them). An editable install reads the checkout directly.
"""

from pathlib import Path
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.expected.json")


def copy_shipped(root: Path, build_lib: Path) -> Path:
    """Copy the migrations, the demo's documents and the data dictionary under ``build_lib/monitor/_shipped``."""
    shipped = build_lib / "monitor" / "_shipped"
    shutil.rmtree(shipped, ignore_errors=True)  # nothing stale from an earlier build
    shutil.copytree(root / "alembic", shipped / "alembic", ignore=SKIP)
    # Only the fixture directories that are sources (a manifest.yaml), without the golden
    # files the tests compare against: the demo serves documents, it reads no expectations.
    for manifest in sorted((root / "tests" / "fixtures").glob("*/manifest.yaml")):
        source = manifest.parent
        shutil.copytree(source, shipped / "demo_documents" / source.name, ignore=SKIP)
    # The data dictionary: `monitor datasette` builds its metadata from it.
    (shipped / "docs").mkdir()
    shutil.copy2(root / "docs" / "data-dictionary.md", shipped / "docs" / "data-dictionary.md")
    return shipped


class BuildPyWithShippedFiles(build_py):
    def run(self) -> None:
        super().run()
        if not getattr(self, "editable_mode", False):
            copy_shipped(ROOT, Path(self.build_lib))


if __name__ == "__main__":  # setuptools runs this file as __main__; tests import copy_shipped
    setup(cmdclass={"build_py": BuildPyWithShippedFiles})
