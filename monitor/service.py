"""`monitor serve`: the monitor as a long-running service on APScheduler 3.

The database is the source of truth for what ran; the scheduler only says when to look. Jobs:

* ``poll:<source>``: at the source's next poll (:func:`monitor.fetching.next_poll_at`: its poll
  interval, or the faster retry while it is failing). It calls :func:`monitor.pipeline.run_once`
  for that source, as `monitor run --once` does: poll if due, evaluate, drain the outbox. Then it
  schedules itself again from what the database now says.
* ``evaluate``: once a day (``EVALUATE_AT`` in ``digest_timezone``), ``run_once`` with no source.
* ``drain``: every minute, :func:`monitor.delivery.slack_sender.drain`, as `monitor notify` does.
* ``digest``: weekly at ``digest_day``/``digest_time`` in ``digest_timezone``,
  :func:`monitor.delivery.digest_send.send_digest`, as `monitor digest --send` does; at start,
  and when APScheduler reports the run missed, the weeks whose digest time passed while no
  instance ran are sent (each week is claimed in the database, so never twice).
* ``heartbeat``: on an executor of its own, so a long poll never delays it: checks the leader
  lock, applies a settings reload (SIGHUP) and records the heartbeat and the next jobs.

Every trigger names its time zone; job defaults are a misfire grace of one hour, ``coalesce``
and one instance at a time, and jobs run one after another (one worker), so two jobs never
write at once. One instance leads per database (:mod:`monitor.leader`); before every job the lock
is checked, and losing it stops the jobs (the instance goes back to standing by). Each job run is
a ``service_runs`` row committed ``running`` before the job starts; a row still ``running`` when
an instance becomes leader is marked ``interrupted``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from monitor.errors import ConfigError, DatabaseError
from monitor.locks import LockTimeout
from monitor import service_state as state

log = logging.getLogger(__name__)

UTC = timezone.utc
JOB_DEFAULTS = {"misfire_grace_time": 3600, "coalesce": True, "max_instances": 1}
EVALUATE_AT = time(5, 0)  # the daily evaluation, in digest_timezone
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CATCH_UP_WEEKS = 8  # at most this many missed digests are sent at start
JOB_RETRY = timedelta(minutes=15)  # a poll job that raised is tried again after this


@dataclass
class ServeOptions:
    standby: bool = True  # wait for the leader to go (True) or exit 1 (False)
    mirror: str | None = None  # fetch from a mirror (the demo's server) instead of the agencies
    poll_every: timedelta | None = None  # override every source's poll interval
    drain_every: float = 60.0  # seconds between outbox drains
    heartbeat_every: float = 20.0  # seconds between heartbeats; a standby retries as often
    backoff_max: float = 300.0  # longest wait between attempts to reach the database


class _Scheduler:
    """Built lazily: importing APScheduler costs time every other command does not need."""

    @staticmethod
    def make(should_stop: Callable[[], bool]):
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.blocking import BlockingScheduler

        class Scheduler(BlockingScheduler):
            def _process_jobs(self):
                # Stopping (a signal, a lost lock) is decided in the scheduler's own thread:
                # signal handlers only set a flag and wake it up.
                if should_stop():
                    # Not wait=True: APScheduler would join the job threads while holding its
                    # job-store lock, and a running job that reschedules itself (or the
                    # heartbeat listing the jobs) would wait for that lock for ever. The caller
                    # joins them (Service._lead), after this returns.
                    self.shutdown(wait=False)
                    return None
                return super()._process_jobs()

        return Scheduler(
            timezone=UTC,
            job_defaults=dict(JOB_DEFAULTS),
            executors={"default": ThreadPoolExecutor(1), "heartbeat": ThreadPoolExecutor(1)},
        )


class Service:
    def __init__(self, ctx, options: ServeOptions | None = None) -> None:
        self.ctx = ctx
        self.opts = options or ServeOptions()
        self.host, self.pid = socket.gethostname(), os.getpid()
        self.stopping = threading.Event()
        self.reload_requested = threading.Event()
        self.lost = threading.Event()
        self.scheduler = None
        self.lock = None
        self.since: datetime | None = None
        self.first_lead: datetime | None = None
        self._db_down: str | None = None  # the error last logged, so it is logged once
        self._said_once: set[str] = set()
        self._next_polls: dict[str, tuple] = {}  # job id -> (source, failed_at), see _after_job
        self.database_retries = 0  # failed attempts to reach the database

    # --- control (signal handlers call these: they only set flags) ----------------------------

    def stop(self) -> None:
        self.stopping.set()
        self._wake()

    def request_reload(self) -> None:
        self.reload_requested.set()

    def _wake(self) -> None:
        scheduler = self.scheduler
        if scheduler is not None:
            try:
                scheduler.wakeup()
            except Exception:  # noqa: BLE001 - not started yet or already stopped
                pass

    # --- the life of the process ---------------------------------------------------------------

    def run(self) -> int:
        """Until stopped: reach the database, lead or stand by, run the jobs. Exit status."""
        from monitor.leader import leader_lock

        self.lock = leader_lock(self.ctx.settings.database_url)
        told_standby = False
        while not self.stopping.is_set():
            if not self._wait_for_database():
                break
            try:
                got = self.lock.acquire()
            except SQLAlchemyError as exc:
                self._database_trouble(exc)
                continue
            if not got:
                who = self._leader_text()
                if not self.opts.standby:
                    raise DatabaseError(
                        f"another monitor serve leads this database{who}; exiting (--no-standby)"
                    )
                if not told_standby:
                    log.warning(
                        f"another monitor serve leads this database{who}; standing by "
                        f"(checking every {self.opts.heartbeat_every:g}s)"
                    )
                    told_standby = True
                self.stopping.wait(self.opts.heartbeat_every)
                continue
            told_standby = False
            try:
                self._lead()
            except LockTimeout as exc:  # a long command held the writer lock: try again
                log.warning(f"not taking over yet: {str(exc).splitlines()[0]}")
                self.stopping.wait(self.opts.heartbeat_every)
            except (DatabaseError, SQLAlchemyError) as exc:
                self._database_trouble(exc)
            finally:
                self.lock.release()
        return 0

    def _wait_for_database(self) -> bool:
        """Reach (and migrate) the database, retrying with backoff; False when stopping."""
        delay = min(5.0, self.opts.heartbeat_every, self.opts.backoff_max)
        while not self.stopping.is_set():
            try:
                with self.ctx.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
            except (DatabaseError, SQLAlchemyError) as exc:
                self.database_retries += 1
                self._database_trouble(exc, retry_in=delay)
                self.stopping.wait(delay)
                delay = min(delay * 2, self.opts.backoff_max)
                continue
            if self._db_down is not None:
                log.warning("database reachable again")
                self._db_down = None
            return True
        return False

    def _database_trouble(self, exc: Exception, retry_in: float | None = None) -> None:
        text_ = (
            str(exc)
            if isinstance(exc, DatabaseError)
            else str(getattr(exc, "orig", exc) or type(exc).__name__).strip().splitlines()[0]
        )
        if self._db_down is None:
            log.error(
                f"database unreachable: {text_}; retrying with backoff"
                + (f" (next in {retry_in:g}s)" if retry_in else "")
            )
        self._db_down = text_

    def _leader_text(self) -> str:
        try:
            with self.ctx.session() as session:
                row = state.leader(session)
                if row is None or row.stopped_at is not None:
                    return ""
                return f" (host {row.host}, pid {row.pid}, since {row.since:%Y-%m-%d %H:%M UTC})"
        except SQLAlchemyError:
            return ""

    def _lead(self) -> None:
        now = self.ctx.now()
        self.since = now
        self.lost.clear()
        self._next_polls.clear()
        # Under the writer lock nobody else is writing, so whatever is left half-done belongs to
        # a process that died: its job runs, and Slack deliveries it had claimed.
        with self.ctx.writing(purpose="monitor serve (taking over)"), self.ctx.session() as session:
            interrupted = state.mark_interrupted(session, now=now)
            orphans = state.release_orphaned_sends(session, now=now)
            lead = state.begin_run(session, "lead", now=now, host=self.host, pid=self.pid)
            state.end_run(
                session, lead, state="ok", now=now, detail=f"host {self.host}, pid {self.pid} leads"
            )
            self.first_lead = _first_lead(session)
            self._check_keys(session, now)
            state.heartbeat(session, host=self.host, pid=self.pid, since=now, now=now, next_jobs=[])
        for row in interrupted:
            log.warning(
                f"run {row.id} ({row.job}, started {row.started_at:%Y-%m-%d %H:%M:%S} "
                f"UTC by host {row.host}, pid {row.pid}) was interrupted; marked as such"
            )
        if orphans:
            log.warning(
                f"{orphans} Slack delivery(ies) left claimed by a stopped sender: "
                "checked against Slack before they are sent"
            )
        log.info(f"leading: host {self.host}, pid {self.pid}")
        scheduler = _Scheduler.make(lambda: self.stopping.is_set() or self.lost.is_set())
        self.scheduler = scheduler
        self._add_jobs(scheduler, now)
        try:
            scheduler.start()  # blocks until stopped or the lock is lost
        finally:
            for executor in scheduler._executors.values():  # the running job finishes; queued
                executor.shutdown(wait=True)  # ones see `stopping` and return at once
            self.scheduler = None
        if self.lost.is_set():
            return
        try:
            with self.ctx.session() as session:
                state.stopped(session, host=self.host, pid=self.pid, now=self.ctx.now())
        except SQLAlchemyError as exc:
            self._database_trouble(exc)
        log.info("stopped")

    # --- jobs ---------------------------------------------------------------------------------

    def _registered(self):
        # as in run_once: a source without start URLs takes documents by hand and is not polled
        from monitor.apipoll import is_polled

        sources = [r for r in self.ctx.sources.all() if is_polled(r, self.ctx.settings)]
        if self.opts.poll_every is not None:
            sources = [
                replace(r, source=replace(r.source, poll_every=self.opts.poll_every))
                for r in sources
            ]
        return sources

    def _check_keys(self, session, now: datetime) -> None:
        """One operator finding per API key that is not set (its sources are not polled), at
        the start and with each daily evaluation, as `monitor run --once` does."""
        from monitor.api_keys import sync_missing_keys

        sync_missing_keys(session, self.ctx.sources.all(), self.ctx.settings, now=now)

    def _add_jobs(self, scheduler, now: datetime) -> None:
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
        from apscheduler.triggers.interval import IntervalTrigger

        settings = self.ctx.settings
        scheduler.add_job(
            self._heartbeat,
            IntervalTrigger(seconds=self.opts.heartbeat_every, timezone=UTC),
            id="heartbeat",
            executor="heartbeat",
            next_run_time=now,
        )
        for reg in self._registered():
            self._schedule_poll(scheduler, reg, None)
        scheduler.add_job(
            self._job, self._evaluate_trigger(settings), args=("evaluate",), id="evaluate"
        )
        scheduler.add_job(
            self._job,
            IntervalTrigger(seconds=self.opts.drain_every, timezone=UTC),
            args=("drain",),
            id="drain",
            next_run_time=now,
        )
        scheduler.add_job(self._job, self._digest_trigger(settings), args=("digest",), id="digest")
        if self._missed_weeks(now):
            self._catch_up_digest(scheduler, now)
        scheduler.add_listener(self._missed, EVENT_JOB_MISSED)
        scheduler.add_listener(self._after_job, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def _evaluate_trigger(self, settings):
        from apscheduler.triggers.cron import CronTrigger

        return CronTrigger(
            hour=EVALUATE_AT.hour,
            minute=EVALUATE_AT.minute,
            timezone=ZoneInfo(settings.digest_timezone),
        )

    def _digest_trigger(self, settings):
        from apscheduler.triggers.cron import CronTrigger

        return CronTrigger(
            day_of_week=WEEKDAYS.index(settings.digest_day),
            hour=settings.digest_time.hour,
            minute=settings.digest_time.minute,
            timezone=ZoneInfo(settings.digest_timezone),
        )

    def _catch_up_digest(self, scheduler, now: datetime) -> None:
        from apscheduler.triggers.date import DateTrigger

        scheduler.add_job(
            self._job,
            DateTrigger(run_date=now, timezone=UTC),
            args=("digest",),
            id="digest:catch-up",
            replace_existing=True,
        )

    def _missed(self, event) -> None:
        log.warning(f"job {event.job_id} missed its time {event.scheduled_run_time}")
        if event.job_id == "digest" and self.scheduler is not None:
            self._catch_up_digest(self.scheduler, self.ctx.now())

    def _schedule_poll(
        self, scheduler, reg, failed_at: datetime | None, ran: datetime | None = None
    ) -> None:
        from apscheduler.triggers.date import DateTrigger

        from monitor.fetching import next_poll_at

        now = self.ctx.now()
        with self.ctx.session() as session:
            when = next_poll_at(session, reg)
        if when is None:  # never polled: now, or (a job just ran and polled nothing) a bit later
            when = now if ran is None else now + min(JOB_RETRY, reg.source.poll_every)
        if failed_at is not None:
            when = max(when, failed_at + min(JOB_RETRY, reg.source.poll_every))
        scheduler.add_job(
            self._job,
            DateTrigger(run_date=max(when, now), timezone=UTC),
            args=(f"poll:{reg.id}",),
            kwargs={"reg": reg},
            id=f"poll:{reg.id}",
            replace_existing=True,
        )

    def _job(self, job: str, reg=None) -> None:
        """Run one job: check the lock, record it ``running``, run it, record its end state."""
        if self.stopping.is_set() or self.lost.is_set():
            return
        if not self._still_leader():
            return
        now = self.ctx.now()
        try:
            # one writer per database: a `monitor run --once` by hand and this job take turns
            with self.ctx.writing(purpose=f"monitor serve ({job})"):
                self._run_job(job, reg, now)
        except LockTimeout as exc:
            log.warning(f"{job} not run: {str(exc).splitlines()[0]}")
            if reg is not None:
                self._reschedule_poll(reg, failed_at=now)
        except (DatabaseError, SQLAlchemyError) as exc:
            self._database_trouble(exc)
            if reg is not None:
                self._reschedule_poll(reg, failed_at=now)

    def _run_job(self, job: str, reg, now: datetime) -> None:
        try:
            with self.ctx.session() as session:
                run_id = state.begin_run(session, job, now=now, host=self.host, pid=self.pid)
        except SQLAlchemyError as exc:
            self._database_trouble(exc)
            if reg is not None:
                self._reschedule_poll(reg, failed_at=now)
            return
        outcome, detail, cycle, failed = "failed", None, None, True
        try:
            if reg is not None:
                outcome, detail, cycle = self._poll(reg)
            else:
                outcome, detail = getattr(self, f"_{job.split(':')[0]}")()
            failed = False
        except (DatabaseError, SQLAlchemyError) as exc:
            self._database_trouble(exc)
            detail = f"database: {exc}".splitlines()[0]
        except ConfigError as exc:
            detail = str(exc).splitlines()[0]
            log.error(f"{job}: {detail}")
        except Exception as exc:  # noqa: BLE001 - a job never takes the service down
            detail = f"{type(exc).__name__}: {exc}".splitlines()[0]
            log.exception(f"{job} failed: {detail}")
        finally:
            if reg is not None:
                self._reschedule_poll(reg, failed_at=now if failed else None)
        try:
            with self.ctx.session() as session:
                if outcome == "forget":
                    state.forget_run(session, run_id)
                else:
                    state.end_run(
                        session,
                        run_id,
                        state=outcome,
                        now=self.ctx.now(),
                        detail=detail,
                        cycle=cycle,
                    )
        except SQLAlchemyError as exc:
            self._database_trouble(exc)

    def _reschedule_poll(self, reg, failed_at) -> None:
        """Called inside the poll job: only records when it is due again. While the job runs,
        APScheduler counts its instance (max_instances=1), so a next run due at once (a poll that
        took longer than its interval) would be skipped and, a date trigger having no later time,
        dropped for good: the source would never be polled again. :meth:`_after_job` schedules
        it once the instance has ended."""
        self._next_polls[f"poll:{reg.id}"] = (reg, failed_at)

    def _after_job(self, event) -> None:
        """APScheduler's listener for an ended job (its instance no longer counts)."""
        pending = self._next_polls.pop(event.job_id, None)
        if pending is not None:
            self._schedule_next_poll(*pending)

    def _schedule_next_poll(self, reg, failed_at) -> None:
        if self.scheduler is None or self.stopping.is_set() or self.lost.is_set():
            return
        try:
            self._schedule_poll(self.scheduler, reg, failed_at, ran=self.ctx.now())
        except SQLAlchemyError as exc:
            self._database_trouble(exc)
            from apscheduler.triggers.date import DateTrigger

            self.scheduler.add_job(
                self._job,
                DateTrigger(run_date=self.ctx.now() + JOB_RETRY, timezone=UTC),
                args=(f"poll:{reg.id}",),
                kwargs={"reg": reg},
                id=f"poll:{reg.id}",
                replace_existing=True,
            )

    def _still_leader(self) -> bool:
        try:
            held = self.lock.held()
        except Exception:  # noqa: BLE001 - treated as lost
            held = False
        if not held:
            self._lose()
        return held

    def _lose(self) -> None:
        if not self.lost.is_set():
            log.error(
                "lost the leader lock (the database connection ended?): stopping the "
                "jobs and standing by"
            )
            self.lost.set()
            self._wake()

    def _rewrite(self):
        if not self.opts.mirror:
            return None
        from scrapers.fetch.http import mirror_rewrite

        return mirror_rewrite(self.opts.mirror)

    def _poll(self, reg) -> tuple[str, str, str | None]:
        from monitor.pipeline import run_once

        report = run_once(self.ctx, registered=[reg], rewrite=self._rewrite())
        if not report.polls:
            return "skipped", f"{reg.id}: not due", None
        poll = report.polls[0]
        detail = (
            f"{reg.id}: {'poll failed' if poll.failed else 'polled'}, health "
            f"{poll.health_after}; {len(report.sync.opened) if report.sync else 0} "
            "finding(s) opened"
        )
        if report.delivery is not None:
            detail += f"; {report.delivery.line()}"
        return ("failed" if poll.failed else "ok"), detail, report.cycle

    def _evaluate(self) -> tuple[str, str]:
        from monitor.pipeline import run_once

        report = run_once(self.ctx, registered=[], check_keys=True)
        sync = report.sync
        return "ok", (
            f"{len(sync.opened)} opened, {len(sync.changed)} changed, {len(sync.resolved)} resolved"
        )

    def _drain(self) -> tuple[str, str | None]:
        from monitor.delivery.slack_sender import drain

        report = drain(self.ctx.session, self.ctx.settings, clock=self.ctx.now)
        if report.not_configured:
            self._once("slack", f"Slack alerts are off: {report.not_configured}")
            return "forget", None
        if not (
            report.routed
            or report.sent
            or report.recovered
            or report.retried
            or report.dead
            or report.skipped
            or report.stopped
        ):
            return "forget", None  # nothing to send: no row every minute
        return ("failed" if report.failed else "ok"), report.line()

    def _digest(self) -> tuple[str, str | None]:
        from monitor.delivery.digest_send import email_problem, send_digest

        settings = self.ctx.settings
        problem = email_problem(settings)
        if problem:
            self._once("email", f"the weekly digest is off: {problem}")
            return "skipped", f"not configured: {problem}"
        weeks = self._missed_weeks(self.ctx.now()) or [None]
        lines, failed = [], False
        for week in weeks:
            result = send_digest(self.ctx.session, settings, clock=self.ctx.now, week=week)
            lines.append(f"{result.week.label}: {result.detail}")
            failed = failed or result.failed
        return ("failed" if failed else "ok"), "; ".join(lines)

    def _missed_weeks(self, now: datetime):
        """The weeks whose digest time passed since this database's first leader started and
        whose digest is not sent (oldest first, at most CATCH_UP_WEEKS)."""
        from sqlalchemy import select

        from monitor.delivery.digest_build import IsoWeek
        from monitor.models import Delivery

        settings = self.ctx.settings
        if self.first_lead is None:
            return []
        weeks = []
        for slot in digest_slots(
            now, settings.digest_day, settings.digest_time, settings.digest_timezone, CATCH_UP_WEEKS
        ):
            if slot <= self.first_lead:
                break
            weeks.append(IsoWeek.previous(slot, settings.digest_timezone))
        if not weeks:
            return []
        with self.ctx.session() as session:
            done = set(
                session.scalars(
                    select(Delivery.idempotency_key).where(
                        Delivery.idempotency_key.in_([f"digest:{w.label}" for w in weeks]),
                        Delivery.state.in_(("sent", "dead")),
                    )
                )
            )
        return [w for w in reversed(weeks) if f"digest:{w.label}" not in done]

    def _once(self, key: str, message: str) -> None:
        if key not in self._said_once:
            self._said_once.add(key)
            log.warning(message)

    # --- heartbeat, reload ----------------------------------------------------------------------

    def _heartbeat(self) -> None:
        if self.stopping.is_set() or self.lost.is_set():
            return
        if self.reload_requested.is_set():
            self.reload_requested.clear()
            self._reload()
        if not self._still_leader():
            return
        jobs = []
        scheduler = self.scheduler
        if scheduler is not None:
            for job in scheduler.get_jobs():
                if job.id != "heartbeat" and job.next_run_time is not None:
                    jobs.append(
                        {
                            "job": job.id,
                            "next_run_at": job.next_run_time.astimezone(UTC).isoformat(),
                        }
                    )
        jobs.sort(key=lambda j: j["next_run_at"])
        try:
            with self.ctx.session() as session:
                state.heartbeat(
                    session,
                    host=self.host,
                    pid=self.pid,
                    since=self.since,
                    now=self.ctx.now(),
                    next_jobs=jobs,
                )
            if self._db_down is not None:
                log.warning("database reachable again")
                self._db_down = None
        except SQLAlchemyError as exc:
            self._database_trouble(exc)

    def _reload(self) -> None:
        from monitor.config import load_settings
        from monitor.log import setup_logging

        old = self.ctx.settings
        try:
            new = load_settings()
        except ConfigError as exc:
            log.error(
                "settings not reloaded, the old ones stay: " + "; ".join(str(exc).splitlines())
            )
            return
        if new.database_url != old.database_url:
            log.warning(
                "database_url changed: restart monitor serve to use the new database; "
                "the other settings are reloaded"
            )
            new = new.model_copy(update={"database_url": old.database_url})
        self.ctx.settings = new
        setup_logging(new.log_level, new.log_format, new.secrets())
        quiet_scheduler_logs(new.log_level)
        scheduler = self.scheduler
        if scheduler is not None:
            scheduler.reschedule_job("digest", trigger=self._digest_trigger(new))
            scheduler.reschedule_job("evaluate", trigger=self._evaluate_trigger(new))
        log.info("settings reloaded")


def _first_lead(session) -> datetime | None:
    from sqlalchemy import func, select

    from monitor.models.service import ServiceRun

    return session.scalar(select(func.min(ServiceRun.started_at)).where(ServiceRun.job == "lead"))


def digest_slots(now: datetime, day: str, at: time, tz: str, count: int) -> list[datetime]:
    """The last ``count`` weekly digest times at or before ``now``, newest first (aware UTC).
    Computed in ``tz`` day by day, so a daylight-saving change keeps the local time."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    day0 = local.date() - timedelta(days=(local.weekday() - WEEKDAYS.index(day)) % 7)
    slots = []
    k = 0
    while len(slots) < count:
        slot = datetime.combine(day0 - timedelta(days=7 * k), at, tzinfo=zone).astimezone(UTC)
        if slot <= now:
            slots.append(slot)
        k += 1
    return slots


def quiet_scheduler_logs(level: str) -> None:
    """APScheduler narrates every job at INFO, and warns each time a job it wants to start
    waits behind a long one (jobs run one at a time); the service logs what matters itself
    (a missed run time included)."""
    logging.getLogger("apscheduler").setLevel("DEBUG" if level.lower() == "debug" else "ERROR")
