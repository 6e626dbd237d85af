"""Helpers for tests that run `monitor` in real processes (see cli_proc.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, func, select

CLI = Path(__file__).resolve().parent / "cli_proc.py"
REPO = Path(__file__).resolve().parents[2]


def monitor_env(home: Path, db_url: str, mirror: str | None = None, **extra: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MONITOR_") or k == "MONITOR_TEST_PG_URL"
    }
    env.update(
        MONITOR_HOME=str(home),
        MONITOR_DATABASE_URL=db_url,
        MONITOR_LOG_FORMAT="json",
        MONITOR_LOG_LEVEL="warning",
        MONITOR_HOST_MIN_INTERVAL="0",
        MONITOR_HTTP_RETRIES="0",
        MONITOR_CONTACT="ops@example.org",
        MONITOR_WATCH_FROM="2022-01-01",
        MONITOR_LOCK_TIMEOUT="120",
    )
    if mirror:
        env["MONITOR_TEST_MIRROR"] = mirror
    env.update({f"MONITOR_{k.upper()}": v for k, v in extra.items()})
    return env


def spawn(env: dict, *argv: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(CLI), *argv],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen, timeout: float = 180) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def at_once(env: dict, *argv: str, n: int = 2) -> list[tuple[int, str, str]]:
    """Start ``n`` identical commands together and wait for all of them."""
    procs = [spawn(env, *argv) for _ in range(n)]
    return [finish(p) for p in procs]


def count(db_url: str, model, *where) -> int:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(model).where(*where))
    finally:
        engine.dispose()


def rows(db_url: str, query) -> list:
    """The rows of ``query``. Never creates a SQLite file: connecting to a missing one would leave
    a 0-byte file that a command starting meanwhile rightly refuses as not a database."""
    if db_url.startswith("sqlite:///") and not os.path.exists(db_url[len("sqlite:///") :]):
        raise FileNotFoundError(f"no database yet at {db_url}")
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return list(conn.execute(query))
    finally:
        engine.dispose()
