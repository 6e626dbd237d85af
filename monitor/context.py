"""What a command needs, built lazily: settings now, the database and archive on first use."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Iterator

from monitor.config import Settings, load_settings


def say_waiting(line: str) -> None:
    import sys

    print(line, file=sys.stderr, flush=True)


class Context:
    """``sources`` (a :class:`scrapers.registry.Registry`) and ``obligations`` are the
    registries a command reads: by default the discovered sources and the bundled rule files;
    a test or an embedding program passes its own. ``obligations`` is a list of obligations, or
    a directory of rule files read in their place (``rules_dir``)."""

    command_run_id: int | None = None  # this writing command's command_runs row

    def __init__(self, settings: Settings, *, sources=None, obligations=None) -> None:
        from scrapers.registry import Registry

        self.settings = settings
        self.sources = sources if sources is not None else Registry()
        is_dir = isinstance(obligations, (str, Path))
        self.rules_dir = Path(obligations) if is_dir else None  # None: the bundled rule files
        self._obligations = None if is_dir else obligations

    @classmethod
    def from_environment(cls, *, sources=None, obligations=None) -> "Context":
        from monitor.log import setup_logging

        settings = load_settings()
        setup_logging(settings.log_level, settings.log_format, settings.secrets())
        return cls(settings, sources=sources, obligations=obligations)

    def rules(self) -> list:
        """The obligations: the ones given, else the bundled rule files (a rule-file error is a
        one-line error)."""
        if self._obligations is not None:
            return list(self._obligations)
        from monitor.findings_sync import load_rules

        return load_rules(self.rules_dir)

    @cached_property
    def database(self):
        """The configured database's engine, not yet migrated (locks are taken on it)."""
        from monitor.config_checks import ensure_directory
        from monitor.db import make_engine, sqlite_directory

        if sqlite_directory(self.settings.database_url) == self.settings.home.absolute():
            ensure_directory(self.settings.home, "MONITOR_HOME")  # the monitor's own directory
        return make_engine(self.settings.database_url, synchronous=self.settings.sqlite_synchronous)

    @cached_property
    def engine(self):
        """The configured database, migrated to head on first use (under the writer lock)."""
        from monitor.db import ensure_migrated

        ensure_migrated(self.database, lock_timeout=self.settings.lock_timeout, on_wait=say_waiting)
        return self.database

    @contextmanager
    def writing(self, purpose: str = "monitor") -> Iterator:
        """Hold the database's writer lock for the block: a second writer waits up to
        ``lock_timeout`` seconds (saying so on stderr), then fails with one line
        (:class:`monitor.locks.LockTimeout`). Re-entrant within a thread."""
        from monitor.locks import writer_lock

        with writer_lock(
            self.database, timeout=self.settings.lock_timeout, purpose=purpose, on_wait=say_waiting
        ) as lock:
            yield lock

    @cached_property
    def archive(self):
        from scrapers.fetch.archive import Archive

        return Archive(self.settings.archive_dir)

    def begin_command(self, purpose: str) -> None:
        """Put this writing command on record (the writer lock is held); a command left
        running by a process that died is marked interrupted (monitor.command_runs)."""
        from monitor import command_runs

        with self.session() as session:
            row, _marked = command_runs.begin(session, purpose, self.now())
            self.command_run_id = row.id

    def note_cycle(self, cycle: str) -> None:
        """The cycle of the fetch runs this command writes, on its record, before it polls."""
        if self.command_run_id is None:
            return
        from monitor import command_runs

        with self.session() as session:
            command_runs.note_cycle(session, self.command_run_id, cycle)

    def end_command(self, exit_status: int, error: str | None = None) -> None:
        if self.command_run_id is None:
            return
        import logging

        from monitor import command_runs

        run_id, self.command_run_id = self.command_run_id, None
        try:
            with self.session() as session:
                command_runs.end(session, run_id, exit_status, self.now(), error)
        except Exception:  # noqa: BLE001 - never hides the command's own outcome
            logging.getLogger(__name__).warning(
                "could not record the end of the command", exc_info=True
            )

    @contextmanager
    def session(self) -> Iterator:
        from monitor.db import session_scope

        with session_scope(self.engine) as session:
            yield session

    @staticmethod
    def now() -> datetime:
        """The only clock the shell reads; everything below takes `now` as an argument."""
        return datetime.now(timezone.utc)
