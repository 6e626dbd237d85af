"""The fetch pool: several hosts at once, never two requests at once to one host, the host's
interval kept, every fetch's outcome handed back, and one worker meaning one request at a
time. Against real loopback servers (tests/concurrent_sites.py) that count requests in flight."""

from __future__ import annotations

import time

import pytest

from concurrent_sites import Sites
from monitor.fetch_pool import FetchPool, Request
from scrapers.fetch.http import Fetcher, HttpConfig

UA = "separation-reporting-monitor/test (+ops@example.org)"


def fetcher(interval: float = 0.0) -> Fetcher:
    return Fetcher(
        HttpConfig(
            user_agent=UA, retries=0, host_min_interval=interval, connect_timeout=5, read_timeout=5
        )
    )


def request(sites: Sites, i: int, path: str = "/reports") -> Request:
    return Request(
        sites.url(i, path),
        {"allowed": [sites.host(i)], "content_types": ("text/html", "application/pdf")},
    )


def test_different_hosts_are_fetched_at_once_and_one_host_never_twice_at_once():
    with Sites(6, delay=0.3) as sites:
        f = fetcher()
        with FetchPool(f, workers=4) as pool:
            # two jobs on host 0 first, competing for that host ...
            pending = [
                p
                for name in ("c", "d")
                for p in pool.submit([request(sites, 0, f"/files/{name}-0.pdf")])
            ]
            # ... then each host: its listing and two reports, as one job (they share the host)
            pending += [
                p
                for i in range(6)
                for p in pool.submit(
                    [
                        request(sites, i),
                        request(sites, i, f"/files/a-{i}.pdf"),
                        request(sites, i, f"/files/b-{i}.pdf"),
                    ]
                )
            ]
            results = [p.take() for p in pending]
        f.close()
    assert [r.result.outcome for r in results] == ["ok"] * 20
    assert sites.max_overall >= 2  # hosts overlapped
    assert sites.max_overall <= 4  # never more than the workers
    assert max(sites.max_per_host.values()) == 1  # never two in flight to one host
    assert sites.wait_served(20) == 20


def test_the_interval_between_requests_to_one_host_is_kept_across_workers():
    with Sites(2, delay=0.05) as sites:
        f = fetcher(interval=0.3)
        with FetchPool(f, workers=4) as pool:
            pending = [
                p for _ in range(3) for i in (0, 1) for p in pool.submit([request(sites, i)])
            ]
            assert all(p.take().result.outcome == "ok" for p in pending)
        f.close()
    for host in (sites.host(0), sites.host(1)):
        spans = sorted((s, e) for h, _p, s, e in sites.served if h == host)
        assert len(spans) == 3
        gaps = [b[0] - a[1] for a, b in zip(spans, spans[1:])]
        assert min(gaps) >= 0.25, gaps  # the interval (less scheduling slack), not overlap
    assert sites.max_overall == 2  # the two hosts did overlap


def test_a_failing_host_does_not_affect_the_others():
    with Sites(4, delay=0.1, fail=(1,)) as sites:
        f = fetcher()
        with FetchPool(f, workers=4) as pool:
            pending = [pool.submit([request(sites, i)])[0] for i in range(4)]
            # a host nobody listens on: a network error, handed back like any outcome
            pending.append(
                pool.submit([Request("http://127.0.0.1:9/reports", {"allowed": ["127.0.0.1"]})])[0]
            )
            outcomes = [p.take().result.outcome for p in pending]
        f.close()
    assert outcomes == ["ok", "http_error", "ok", "ok", "network_error"]


def test_one_worker_fetches_one_request_at_a_time_in_the_callers_thread():
    import threading

    seen_threads = set()

    def read(_request, result, _finished):
        seen_threads.add(threading.current_thread().name)
        return result.outcome

    with Sites(3, delay=0.1) as sites:
        f = fetcher()
        with FetchPool(f, workers=1, read=read) as pool:
            pending = [
                p
                for i in range(3)
                for p in pool.submit([request(sites, i), request(sites, i, f"/files/r-{i}.pdf")])
            ]
            assert sites.served == []  # nothing is fetched before it is taken
            first = pending[0].take()
            assert sites.wait_served(1) == 1  # only what was taken
            time.sleep(0.1)  # and nothing else meanwhile
            assert len(sites.served) == 1
            reads = [first.read] + [p.take().read for p in pending[1:]]
        f.close()
    assert reads == ["ok"] * 6
    assert sites.max_overall == 1
    assert seen_threads == {threading.current_thread().name}
    assert [p for _h, p, _s, _e in sites.served] == ["/reports", "/files/r-0.pdf"] * 1 + [
        "/reports",
        "/files/r-1.pdf",
        "/reports",
        "/files/r-2.pdf",
    ]


def test_a_pool_needs_a_worker():
    with pytest.raises(ValueError):
        FetchPool(fetcher(), workers=0)


def test_a_poll_takes_a_prefetched_answer_only_for_exactly_the_same_request():
    from monitor.fetch_pool import Prefetcher
    from scrapers.fetch.http import Validators

    with Sites(2, delay=0.05) as sites:
        f = fetcher()
        with FetchPool(f, workers=2) as pool:
            ahead = Prefetcher(f, pool)
            allowed = [sites.host(0), sites.host(1)]
            ahead.prefetch(sites.url(0), allowed=allowed)
            ahead.prefetch(sites.url(1), allowed=allowed, headers={"X-Api-Key": "k"})
            ahead.prefetch(sites.url(1), allowed=allowed, headers={"X-Api-Key": "k"})  # once
            first = ahead.fetch(sites.url(0), allowed=allowed)  # the prefetched answer
            assert first.outcome == "ok" and sites.wait_served(1) >= 1
            # other validators: not the request made ahead, so it is made now
            other = ahead.fetch(
                sites.url(1),
                allowed=allowed,
                headers={"X-Api-Key": "k"},
                validators=Validators(etag='"nope"'),
            )
            same = ahead.fetch(sites.url(1), allowed=allowed, headers={"X-Api-Key": "k"})
            again = ahead.fetch(sites.url(0), allowed=allowed)  # taken once: fetched again
        assert ahead.clock is f.clock  # the rest is the fetcher's
        f.close()
    assert [r.outcome for r in (first, other, same, again)] == ["ok"] * 4
    # 2 ahead (one per distinct request) + 2 made when asked
    assert sites.wait_served(4) == 4
    time.sleep(0.1)  # and no fifth
    assert len(sites.served) == 4


def test_a_worker_archives_what_came_back_and_leaves_what_it_cannot_write_to_the_writer(
    tmp_path,
):
    from scrapers.fetch.archive import Archive, ArchiveWriteError

    good = Archive(tmp_path / "good")
    broken = Archive(tmp_path / "broken")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "objects").write_text("a file where a directory belongs")
    with Sites(3, fail={2}) as sites:
        f = fetcher()
        with FetchPool(f, workers=2, archive=good) as pool:
            ok, missing = [
                p.take().result
                for p in pool.submit([request(sites, 0)]) + pool.submit([request(sites, 2)])
            ]
        with FetchPool(f, workers=2, archive=broken) as pool:
            (unwritten,) = [p.take().result for p in pool.submit([request(sites, 1)])]
        f.close()
    assert ok.outcome == "ok" and ok.archived is not None and ok.archived.created
    assert good.get(ok.archived.sha256) == ok.body  # on disk, under its hash
    assert missing.outcome != "ok" and missing.archived is None  # no body: nothing archived
    assert unwritten.outcome == "ok" and unwritten.archived is None  # the writer will try
    # ... where it is the typed error naming what could not be written
    with pytest.raises(ArchiveWriteError, match="cannot create"):
        broken.put(b"a body")
