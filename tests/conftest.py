"""Shared fixtures.

Database tests take the ``engine`` (or ``db_url``) fixture and run twice: on SQLite and on
PostgreSQL. PostgreSQL is reached at MONITOR_TEST_PG_URL (default: the local server on
127.0.0.1:5432, user postgres, trust auth). Each test run creates one migrated template database
and each test gets a fresh copy of it (``CREATE DATABASE ... TEMPLATE``), dropped afterwards.
With CI=true an unreachable PostgreSQL fails the run; elsewhere those tests are skipped with the
reason, so a laptop without PostgreSQL can still run the SQLite half.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

PG_ADMIN_URL = os.environ.get(
    "MONITOR_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _pg_admin():
    from sqlalchemy import create_engine

    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _pg_url(dbname: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname


class _Pg:
    """Lazily creates one migrated template database per test session."""

    def __init__(self) -> None:
        self.error: str | None = None
        self.template: str | None = None
        self.admin = None

    def ensure(self) -> None:
        if self.template or self.error:
            return
        from sqlalchemy import text

        try:
            self.admin = _pg_admin()
            with self.admin.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            self.error = f"PostgreSQL unreachable at {PG_ADMIN_URL}: {str(exc).splitlines()[0]}"
            return
        name = f"monitor_tpl_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        from monitor.db import make_engine, upgrade

        engine = make_engine(_pg_url(name))
        upgrade(engine)
        engine.dispose()
        self.template = name

    def create(self, from_template: bool = True, template: str | None = None) -> str:
        """A new database: a copy of ``template`` (by default the migrated one) or, without
        ``from_template``, an empty one."""
        from sqlalchemy import text

        name = f"monitor_test_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{template or self.template}"' if from_template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        return name

    def drop(self, name: str) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


_PG = _Pg()


def pytest_sessionfinish(session, exitstatus):
    if _PG.template:
        _PG.drop(_PG.template)


def _need_pg() -> None:
    _PG.ensure()
    if _PG.error:
        if IN_CI:
            pytest.fail(f"{_PG.error} (CI=true: PostgreSQL is required)")
        # outside CI only, on a developer's machine without PostgreSQL: the SQLite half of the
        # same tests still runs; with CI=true the line above fails instead
        pytest.skip(_PG.error)


@pytest.fixture(scope="session")
def postgresql():
    """For a module that builds a stored state once and copies it into each test's database:
    ``need()`` (fails under CI, else skips, when PostgreSQL is unreachable), ``create()`` /
    ``create(template=name)``, ``drop(name)`` and ``url(name)``."""
    from types import SimpleNamespace

    return SimpleNamespace(need=_need_pg, create=_PG.create, drop=_PG.drop, url=_pg_url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    from monitor.db import make_engine, upgrade

    path = tmp_path_factory.mktemp("tpl") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def module_database(sqlite_template, postgresql):
    """``make(backend, folder)``: a fresh migrated database of ``backend`` ("sqlite": a file in
    ``folder``; "postgresql") for a module that stores a state once and reads or copies it in
    its tests: ``(url, drop)``, ``drop`` None for a file (removed with ``folder``)."""

    def make(backend: str, folder: Path):
        if backend == "sqlite":
            shutil.copy(sqlite_template, folder / "monitor.db")
            return f"sqlite:///{folder / 'monitor.db'}", None
        postgresql.need()
        name = postgresql.create()
        return postgresql.url(name), lambda: postgresql.drop(name)

    return make


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(backend, tmp_path, sqlite_template):
    """URL of a fresh database already migrated to head."""
    if backend == "sqlite":
        path = tmp_path / "monitor.db"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    _need_pg()
    name = _PG.create()
    try:
        yield _pg_url(name)
    finally:
        _PG.drop(name)


@pytest.fixture
def empty_db_url(backend, tmp_path):
    """URL of a fresh, empty (unmigrated) database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    _need_pg()
    name = _PG.create(from_template=False)
    try:
        yield _pg_url(name)
    finally:
        _PG.drop(name)


@pytest.fixture
def engine(db_url):
    from monitor.db import make_engine

    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):
    from sqlalchemy.orm import Session

    with Session(engine, expire_on_commit=False) as s:
        yield s
        s.rollback()


@pytest.fixture
def archive(tmp_path):
    from scrapers.fetch.archive import Archive

    return Archive(tmp_path / "archive")


@pytest.fixture
def monitor_env(monkeypatch, tmp_path):
    """A clean MONITOR_* environment with its home in tmp_path; returns the home path."""
    for key in list(os.environ):
        if key.startswith("MONITOR_") and key != "MONITOR_TEST_PG_URL":
            monkeypatch.delenv(key)
    home = tmp_path / "home"
    monkeypatch.setenv("MONITOR_HOME", str(home))
    monkeypatch.setenv("MONITOR_LOG_FORMAT", "json")
    return home


@pytest.fixture
def registries():
    """What the in-process CLI runs on: ``sources`` (a :class:`scrapers.registry.Registry`)
    and ``obligations``; None is the discovered sources and the bundled rule files. A test
    sets its own (``registries.sources = Registry([fake])``) instead of patching globals."""
    from types import SimpleNamespace

    return SimpleNamespace(sources=None, obligations=None)


@pytest.fixture
def cli(monitor_env, capsys, registries):
    """Run the CLI in-process: ``rc, out, err = cli("fetch", "--all")``."""
    from monitor.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            rc = main(list(argv), sources=registries.sources, obligations=registries.obligations)
        except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
            rc = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return rc, captured.out, captured.err

    return run


@pytest.fixture
def cli_db(cli, db_url, monkeypatch):
    """The CLI pointed at the per-test database (runs on SQLite and PostgreSQL)."""
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    return cli


@pytest.fixture
def run_context(db_url, tmp_path):
    """A Context on ``db_url`` for polling loopback or faked sites: no host spacing, no
    retries, months judged from 2022 (what `run --once` tests share)."""
    from monitor.config import load_settings
    from monitor.context import Context

    from run_env import loopback_env

    context = Context(load_settings(loopback_env(db_url, tmp_path / "home")))
    yield context
    context.engine.dispose()
