"""The offline demo: the whole pipeline against the project's bundled documents.

A loopback server stands in for dhs.gov, hhs.gov and the Congress.gov API and serves every
source's fixtures (real openings and reconstructed tables, documentation examples and
reconstructed Congress.gov answers, see tests/fixtures/*/manifest.yaml); the Congress.gov
sources are polled with a key of the demo's own (``DEMO_CONGRESS_KEY``), so the HHS month
missing from hhs.gov shows as received by Congress. GovInfo is left without a key: not polled,
one operator finding. The monitor polls it on three consecutive days ending at the demo's as-of
date, as a deployed monitor would poll daily, and evaluates on the last day. One DHS listing page (the OHSS page) is answered with a CDN
denial page on every poll, so after three failed polls the DHS source is ``broken``: its
obligations' missing months turn ``unknown`` instead of accusing DHS on the strength of a
firewall page. (The denied page is the 2020 OIS landing page; the report it links is also
linked from the OIS index, so the demo still reads every DHS report.)

Only periods from ``WATCH_FROM`` on are judged: the bundled HHS listing covers 2022 only, and the
demo would otherwise report every month since 2019 as missing.

Without ``keep`` the database and archive live in a temporary directory that
:meth:`DemoResult.cleanup` removes. A ``keep`` directory is marked as the demo's (``MARKER``,
with a hash of each database URL the demo wrote to), so running the demo again over it is
allowed, but a database that already holds records the demo did not write is refused unless
``force``: the demo's findings would mix with real ones.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from time import monotonic

from monitor.config import load_settings
from monitor.context import Context
from monitor.demo_server import DemoServer, load_manifests
from monitor.errors import MonitorError
from monitor.log import setup_logging
from monitor.pipeline import RunReport, run_once

AS_OF = date(2022, 9, 30)
WATCH_FROM = date(2022, 1, 1)
POLL_DAYS = 3  # equals the default broken_after: three failed polls make a source broken
POLL_TIME = time(14, 0, tzinfo=timezone.utc)  # 10:00 in Washington
SLACK_CHANNEL = "C0DEMOALERTS"  # a made-up channel ID: the demo has no Slack token
DENIED = ("https://www.dhs.gov/immigration-statistics/special-reports/FUAR",)
MARKER = ".monitor-demo"  # in a --keep directory: the demo's own, and the databases it wrote
DEMO_CONGRESS_KEY = "offline-demo-key"  # for the demo's Congress.gov stand-in only


class SimulatedClockContext(Context):
    """A clock that starts at the simulated poll time and runs at real speed from there, so
    that what a poll writes is dated before the evaluation that follows it."""

    def __init__(self, settings, start: datetime) -> None:
        super().__init__(settings)
        self.set(start)

    def set(self, start: datetime) -> None:
        self.start, self.t0 = start, monotonic()

    def now(self) -> datetime:  # type: ignore[override]
        return self.start + timedelta(seconds=monotonic() - self.t0)


@dataclass
class DemoResult:
    home: Path
    database_url: str
    archive_dir: Path
    reports: list[RunReport]
    requests: int
    temporary: bool = False  # home is a temporary directory, removed by cleanup()
    slack_json: Path | None = None  # the Slack messages the monitor would send (kept)
    digest_html: Path | None = None  # the weekly digest of the demo's last week (kept)

    def cleanup(self) -> None:
        if self.temporary:
            shutil.rmtree(self.home, ignore_errors=True)


def demo_settings(home: Path, database_url: str | None, lock_timeout: float | None = None):
    env = {
        "MONITOR_HOME": str(home),
        "MONITOR_CONTACT": "offline-demo@localhost",
        "MONITOR_HOST_MIN_INTERVAL": "0",  # one loopback server: no politeness needed
        "MONITOR_HTTP_RETRIES": "0",
        "MONITOR_WATCH_FROM": WATCH_FROM.isoformat(),
        "MONITOR_LOG_LEVEL": "warning",
        "MONITOR_SLACK_CHANNEL": SLACK_CHANNEL,  # no token: messages are written, never sent
        # the demo's server stands in for Congress.gov and wants a key in the header; this one
        # is the demo's own and goes nowhere but 127.0.0.1 (GovInfo stays unconfigured: its
        # one operator finding shows what a missing key does)
        "MONITOR_CONGRESS_API_KEY": DEMO_CONGRESS_KEY,
    }
    if database_url:
        env["MONITOR_DATABASE_URL"] = database_url
    if lock_timeout is not None:  # the caller's: how long to wait for another writer
        env["MONITOR_LOCK_TIMEOUT"] = str(lock_timeout)
    return load_settings(env)


def _url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def _records_in(url: str) -> int:
    """How many sources the database at ``url`` holds records of (0: new or empty)."""
    from sqlalchemy import func, inspect, select

    from sqlalchemy.engine import make_url

    from monitor.db import make_engine
    from monitor.models import SourceRow

    if url.startswith("sqlite"):
        database = make_url(url).database
        if not database or database == ":memory:" or not Path(database).expanduser().exists():
            return 0  # a new file (its directory may not exist yet either)
    engine = make_engine(url)
    try:
        if "sources" not in inspect(engine).get_table_names():
            return 0
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(SourceRow)) or 0
    except MonitorError:
        raise
    except Exception:  # noqa: BLE001 - unreachable: the run itself will say so in one line
        return 0
    finally:
        engine.dispose()


def _not_a_file(home: Path) -> None:
    if home.exists() and not home.is_dir():
        raise MonitorError(f"--keep {home} is a file, not a directory")


def check_home(home: Path, database_url: str, *, force: bool) -> None:
    """Refuse a database holding records a demo in ``home`` did not write (unless ``force``),
    then mark ``home`` as the demo's with that database."""
    _not_a_file(home)
    marker = home / MARKER
    ours = set(marker.read_text(encoding="utf-8").split()) if marker.is_file() else set()
    if not force and _url_hash(database_url) not in ours and _records_in(database_url):
        from monitor.config import redact_url

        raise MonitorError(
            f"{redact_url(database_url)} already holds a database the demo did not "
            "write: its findings would mix with the demo's. Use a new directory "
            "(or an empty --database), or --force to run the demo on it anyway"
        )
    home.mkdir(parents=True, exist_ok=True)
    marker.write_text("\n".join(sorted(ours | {_url_hash(database_url)})) + "\n", encoding="utf-8")


def run_demo(
    *,
    database_url: str | None = None,
    keep: Path | None = None,
    force: bool = False,
    as_of: date = AS_OF,
    lock_timeout: float | None = None,
) -> DemoResult:
    """Run the demo. Like every command that writes, it holds the writer lock of the database
    it writes (here the demo's, not the configured one) for the whole run, waiting up to
    ``lock_timeout`` seconds for another writer, and puts itself on record (command_runs)."""
    temporary = keep is None
    home = Path(tempfile.mkdtemp(prefix="monitor-demo-")) if temporary else Path(keep)
    try:
        settings = demo_settings(home, database_url, lock_timeout)
        _not_a_file(home)
        days = [as_of - timedelta(days=POLL_DAYS - 1 - i) for i in range(POLL_DAYS)]
        ctx = SimulatedClockContext(settings, datetime.combine(days[0], POLL_TIME))
        with ctx.writing(purpose="monitor demo"):
            check_home(home, settings.database_url, force=force)  # before anything is written
            ctx.begin_command("monitor demo")
            try:
                result = _run(home, settings, as_of, temporary, ctx, days)
            except BaseException as exc:
                ctx.end_command(1, error=f"{type(exc).__name__}: {exc}"[:500])
                raise
            ctx.end_command(0)
            ctx.engine.dispose()
            return result
    except BaseException:
        if temporary:
            shutil.rmtree(home, ignore_errors=True)
        raise


def _run(
    home: Path, settings, as_of: date, temporary: bool, ctx: SimulatedClockContext, days: list[date]
) -> DemoResult:
    reports = []
    setup_logging(settings.log_level, settings.log_format, settings.secrets())
    with DemoServer(load_manifests(), deny=set(DENIED)) as server:
        for i, day in enumerate(days):
            ctx.set(datetime.combine(day, POLL_TIME))
            last = i == len(days) - 1
            reports.append(run_once(ctx, every_source=True, rewrite=server.rewrite, evaluate=last))
        requests = len(server.requests)
    # What it would tell people: beside the kept database, or in a directory of their own that
    # outlives the temporary one (two small files the summary tells the reader to open).
    out = home if not temporary else Path(tempfile.mkdtemp(prefix="monitor-demo-messages-"))
    try:
        slack_json, digest_html = write_deliveries(ctx, out, as_of)
    finally:
        ctx.engine.dispose()
    return DemoResult(
        home,
        settings.database_url,
        settings.archive_dir,
        reports,
        requests,
        temporary,
        slack_json,
        digest_html,
    )


def serve(port: int, out=print) -> None:
    """`monitor demo --serve-only`: the demo's server on its own until interrupted."""
    import errno

    try:
        server = DemoServer(load_manifests(), deny=set(DENIED), port=port)
    except OSError as exc:
        why = "the port is in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or exc)
        raise MonitorError(
            f"cannot serve on 127.0.0.1:{port}: {why} (choose another --port)"
        ) from None
    import signal

    # Ctrl-C stops it even when started by a process that ignores SIGINT (which a child
    # inherits, and Python then raises no KeyboardInterrupt); SIGTERM stops it the same way.
    # Before the first line: whoever reads it may signal at once.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        out(f"Serving the demo's documents at {server.base} (Ctrl-C to stop)")
        out(f"  {DENIED[0]} answers with a CDN denial page, as in the demo")
        out(f"  try: monitor fetch --all --mirror {server.base}")
        out(
            f"  (with MONITOR_CONGRESS_API_KEY={DEMO_CONGRESS_KEY} the Congress.gov sources "
            "are read too: the server wants a key, any key)"
        )
        server.serve_forever()
    except KeyboardInterrupt:
        out("stopped")
    finally:
        server.close()


def write_deliveries(ctx, out: Path, as_of: date) -> tuple[Path, Path]:
    """What the monitor would tell people, written instead of sent: the Slack API calls
    (``slack.json``) and the digest of the week of ``as_of`` (``digest.html``)."""
    import json

    from monitor.delivery.digest_build import IsoWeek, build_digest
    from monitor.delivery.digest_send import preview_html
    from monitor.delivery.routing import plan

    slack_json, digest_html = out / "slack.json", out / "digest.html"
    with ctx.session() as session:
        calls = plan(session, ctx.settings)
        digest = build_digest(
            session,
            IsoWeek.containing(as_of),
            tz=ctx.settings.digest_timezone,
            obligations=ctx.rules(),
        )
        session.rollback()
    slack_json.write_text(
        json.dumps(calls, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    digest_html.write_text(preview_html(digest), encoding="utf-8")
    return slack_json, digest_html
