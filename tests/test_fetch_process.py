"""A run over enough sources fetches in a process of its own (``fetch_process_from``, here 2;
monitor/fetch_process.py): it stores exactly what worker threads store, it reads the listings it
fetched, every request of the cycle (the writer's own too) goes through its one host throttle,
and whatever goes wrong with it (it dies, a request cannot be sent to it) leaves the rest of the
cycle to the writer's own threads, with nothing lost and no host asked twice at once."""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import replace

import responses

import monitor.document_path as document_path
import monitor.fetch_process as fetch_process
from concurrent_sites import Sites
from fetch_fakes import SOURCE, make_fetcher, parse
from monitor.pipeline import run_once
from scrapers.fetch.http import Fetcher, HttpConfig, mirror_rewrite
from scrapers.registry import RegisteredSource
from test_concurrent_polls import N, context, run_sites, sources, stored

_READ = document_path.read_document
_INIT = fetch_process.FetchProcess.__init__
_SEND = fetch_process.FetchProcess._send


def _spy(monkeypatch, kill_after: int | None = None) -> dict:
    """What the run did with its fetch processes: how many started, whether the writer had to
    fetch in its own process, and how many bodies the writer thread read itself. With
    ``kill_after``, the process is killed (-9) just before the request after that many."""
    seen = {"started": 0, "fell_back": 0, "read_here": [], "sent": 0}

    def init(self, *args, **kwargs):
        seen["started"] += 1
        _INIT(self, *args, **kwargs)
        here = self.here

        def counted_here():
            seen["fell_back"] += 1
            return here()

        self.here = counted_here

    def send(self, *args, **kwargs):
        seen["sent"] += 1
        if kill_after is not None and seen["sent"] == kill_after + 1:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        return _SEND(self, *args, **kwargs)

    def counting(*args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            seen["read_here"].append(kwargs.get("url"))
        return _READ(*args, **kwargs)

    monkeypatch.setattr(fetch_process.FetchProcess, "__init__", init)
    monkeypatch.setattr(fetch_process.FetchProcess, "_send", send)
    monkeypatch.setattr(document_path, "read_document", counting)
    return seen


def _poll(db_url, tmp_path, prefix: str, processes: int, registered=None, **extra):
    with Sites(N, delay=0.05) as sites:
        ctx = context(
            db_url,
            tmp_path / f"home-{prefix}",
            4,
            MONITOR_FETCH_PROCESS_FROM="2" if processes else "0",
            **extra,
        )
        try:
            if registered is None:
                report = run_sites(ctx, sites, prefix)
            else:
                report = run_once(
                    ctx,
                    every_source=True,
                    registered=registered(sites, prefix),
                    evaluate=False,
                    notify=False,
                )
            assert report.ok, report.failures
            assert max(sites.max_per_host.values()) == 1
            return stored(ctx, prefix), sites
        finally:
            ctx.engine.dispose()


def test_a_fetch_process_stores_what_worker_threads_store_and_reads_the_listings(
    db_url, tmp_path, monkeypatch
):
    threads, _ = _poll(db_url, tmp_path, "threads", 0)
    seen = _spy(monkeypatch)
    process, sites = _poll(db_url, tmp_path, "process", 1)
    assert process == threads
    assert len(process[0]) == 2 * N and len(process[1]) == N
    assert seen["started"] == 1 and seen["fell_back"] == 0
    # every request went to the process: the listings fetched ahead, the reports the writer
    # asked for itself (all 2N through it)
    assert seen["sent"] == 2 * N and len(sites.served) == 2 * N
    # the process read the listings it fetched; the writer read only the reports
    assert len(seen["read_here"]) == N and all(u.endswith(".pdf") for u in seen["read_here"])


def test_without_parse_processes_the_writer_reads_what_the_process_fetched(
    db_url, tmp_path, monkeypatch
):
    seen = _spy(monkeypatch)
    _poll(db_url, tmp_path, "noread", 1, MONITOR_PARSE_PROCESSES="0")
    assert seen["started"] == 1 and seen["fell_back"] == 0
    assert len(seen["read_here"]) == 2 * N


def test_a_source_whose_parser_cannot_be_sent_is_read_by_the_writer(db_url, tmp_path, monkeypatch):
    def lambdas(sites, prefix):
        return [RegisteredSource(r.source, lambda doc: parse(doc)) for r in sources(sites, prefix)]

    seen = _spy(monkeypatch)
    _poll(db_url, tmp_path, "lambda", 1, registered=lambdas)
    assert seen["started"] == 1 and seen["fell_back"] == 0 and seen["sent"] == 2 * N
    assert len(seen["read_here"]) == 2 * N


def test_a_fetch_process_killed_mid_cycle_leaves_the_rest_to_the_writer(
    db_url, tmp_path, monkeypatch, caplog
):
    threads, _ = _poll(db_url, tmp_path, "threads", 0)
    seen = _spy(monkeypatch, kill_after=3)
    with caplog.at_level(logging.WARNING, logger="monitor.fetch_process"):
        process, sites = _poll(db_url, tmp_path, "process", 1)
    assert process == threads  # nothing lost: every request answered and stored
    assert seen["started"] == 1 and seen["fell_back"] >= 1
    assert any("fetch process" in r.getMessage() for r in caplog.records)


def test_one_host_shared_by_sources_keeps_its_interval_across_the_writer_and_the_process(
    db_url, tmp_path, monkeypatch
):
    """Sources on one host: the process fetches the next listing ahead while the writer asks
    for the report of the one before; both go through the one throttle, so the host never has
    two requests at once and always its interval between them."""
    interval = 0.3

    def one_host(sites, prefix):
        return [
            RegisteredSource(
                replace(
                    SOURCE,
                    id=f"{prefix}_{i}",
                    start_urls=(sites.url(0, f"/reports/{i}"),),
                    allowed_hosts=(sites.host(0),),
                ),
                parse,
            )
            for i in range(3)
        ]

    seen = _spy(monkeypatch)
    _, sites = _poll(
        db_url,
        tmp_path,
        "onehost",
        1,
        registered=one_host,
        MONITOR_HOST_MIN_INTERVAL=str(interval),
    )
    assert seen["started"] == 1 and seen["fell_back"] == 0
    times = sorted((start, end) for host, _path, start, end in sites.served)
    # three listings and the one report they all link (fetched once)
    assert len(times) == 4
    for (_s0, end), (start, _e1) in zip(times, times[1:]):
        assert start - end >= interval - 0.02


def test_only_a_fetcher_a_process_can_copy_is_given_one():
    config = HttpConfig(user_agent="t")
    assert fetch_process.portable(Fetcher(config))
    assert fetch_process.portable(Fetcher(config, rewrite=mirror_rewrite("http://127.0.0.1:1/")))
    assert not fetch_process.portable(Fetcher(config, rewrite=lambda url: url))
    assert not fetch_process.portable(make_fetcher()[0])  # a recorded sleep, not the real one
    import requests

    assert not fetch_process.portable(Fetcher(config, session=requests.Session()))
    with responses.RequestsMock():  # a stand-in for the network answers in this process only
        assert not fetch_process.portable(Fetcher(config))


def test_a_run_of_one_source_starts_no_fetch_process(db_url, tmp_path, monkeypatch):
    """One source (what `monitor serve` polls at a time): nothing to store meanwhile."""
    seen = _spy(monkeypatch)

    def first(sites, prefix):
        return sources(sites, prefix)[:1]

    _poll(db_url, tmp_path, "one", 1, registered=first)
    assert seen["started"] == 0


def test_a_run_of_fewer_sources_than_fetch_process_from_fetches_on_threads(
    db_url, tmp_path, monkeypatch
):
    """By default (16) a run of six sources is not worth a process's start: threads fetch."""
    from monitor.config import load_settings

    assert load_settings({"MONITOR_CONTACT": "t@localhost"}).fetch_process_from == 16
    seen = _spy(monkeypatch)
    with Sites(N, delay=0.0) as sites:
        ctx = context(db_url, tmp_path / "home", 4)
        try:
            assert run_sites(ctx, sites, "few").ok
        finally:
            ctx.engine.dispose()
    assert seen["started"] == 0 and len(sites.served) == 2 * N


def test_a_process_started_for_a_run_with_nothing_due_is_stopped_unused(
    db_url, tmp_path, monkeypatch
):
    """It starts while the writer works out what is due; when fewer sources are due than it is
    started for, it is stopped having made no request."""
    procs = []
    init = fetch_process.FetchProcess.__init__

    def keep(self, *args, **kwargs):
        init(self, *args, **kwargs)
        procs.append(self)

    monkeypatch.setattr(fetch_process.FetchProcess, "__init__", keep)
    with Sites(N, delay=0.0) as sites:
        ctx = context(db_url, tmp_path / "home", 4, MONITOR_FETCH_PROCESS_FROM="2")
        try:
            registered = sources(sites, "due")
            first = run_once(ctx, registered=registered, evaluate=False, notify=False)
            assert first.ok and len(first.polls) == N
            served = len(sites.served)
            again = run_once(ctx, registered=registered, evaluate=False, notify=False)
            assert again.polls == [] and len(again.not_due) == N
        finally:
            ctx.engine.dispose()
    assert len(procs) == 2 and len(sites.served) == served
    assert procs[1]._next == 0 and procs[1].proc.returncode is not None


def test_why_a_fetch_process_was_given_up_is_logged_without_secrets(caplog):
    secret = "k3y-0f-the-api"
    remote = fetch_process.FetchProcess(
        Fetcher(HttpConfig(user_agent="t", secrets=(secret,))), 2, archive_root=None
    )
    try:
        with caplog.at_level(logging.WARNING, logger="monitor.fetch_process"):
            remote.give_up(f"ValueError: https://api.example/x?api_key={secret} refused")
    finally:
        remote.close()
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "given up" in logged and secret not in logged
