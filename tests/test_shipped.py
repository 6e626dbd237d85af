"""An installed wheel carries the migrations and the demo's documents (setup.py copies them
under monitor/_shipped/); a checkout reads its own alembic/ and tests/fixtures/. .ci/run builds
a real wheel and runs `monitor db upgrade` and `monitor demo` from it outside the checkout."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import monitor.shipped as shipped
from monitor.db import head_revision, make_engine
from monitor.demo_server import load_manifests
from monitor.errors import MonitorError

REPO = Path(__file__).resolve().parent.parent


def _setup_module():
    spec = importlib.util.spec_from_file_location("project_setup", REPO / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not __main__: defines copy_shipped, runs no build
    return module


def test_a_checkout_reads_its_authoring_directories():
    assert shipped.migrations_dir() == REPO / "alembic"
    assert shipped.demo_documents_dir() == REPO / "tests" / "fixtures"
    assert shipped.data_dictionary() == REPO / "docs" / "data-dictionary.md"


def test_the_build_step_ships_what_upgrade_and_the_demo_read(tmp_path, monkeypatch):
    copied = _setup_module().copy_shipped(REPO, tmp_path)
    assert copied == tmp_path / "monitor" / "_shipped"
    monkeypatch.setattr(shipped, "SHIPPED_DIR", copied)
    monkeypatch.setattr(
        shipped, "CHECKOUT_DIR", tmp_path / "nowhere"
    )  # no checkout to fall back on

    assert shipped.migrations_dir() == copied / "alembic"
    assert shipped.data_dictionary() == copied / "docs" / "data-dictionary.md"
    assert (
        shipped.data_dictionary().read_bytes()
        == (REPO / "docs" / "data-dictionary.md").read_bytes()
    )
    engine = make_engine("sqlite://")
    try:  # the shipped chain has the checkout's head
        assert head_revision(engine) == _checkout_head()
    finally:
        engine.dispose()

    served = load_manifests()
    assert served == [
        s.__class__(
            s.url,
            copied / "demo_documents" / s.path.relative_to(REPO / "tests" / "fixtures"),
            s.content_type,
            s.reconstructed,
        )
        for s in load_manifests(REPO / "tests" / "fixtures")
    ]
    assert served and all(s.path.is_file() for s in served)
    assert not list(copied.rglob("*.expected.json")), "golden files are not shipped"
    assert not list(copied.rglob("__pycache__"))


def _checkout_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(REPO / "alembic"))
    return ScriptDirectory.from_config(cfg).get_current_head()


def test_an_install_without_its_shipped_files_says_so(tmp_path, monkeypatch):
    # site-packages: a sibling alembic/ (the library) but no pyproject.toml and no _shipped/
    (tmp_path / "alembic").mkdir()
    monkeypatch.setattr(shipped, "SHIPPED_DIR", tmp_path / "monitor" / "_shipped")
    monkeypatch.setattr(shipped, "CHECKOUT_DIR", tmp_path)
    with pytest.raises(MonitorError, match="migrations are missing.*reinstall"):
        shipped.migrations_dir()
    with pytest.raises(MonitorError, match="demo documents are missing"):
        shipped.demo_documents_dir()
