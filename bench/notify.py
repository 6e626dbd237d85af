"""What draining the Slack outbox costs: deliveries per second, database round trips per delivery.

Queues N deliveries (default 10,000: one outbox message each, with a real Block Kit payload) and
drains them through the real sender (claim with a conditional UPDATE in batches, slack-sdk call,
one transaction per recorded attempt) against the Slack stand-in of the test suite, served on
127.0.0.1 by pytest-httpserver (a test dependency: ``pip install -e ".[test]"``). Round trips are
counted at the DBAPI: every statement executed (an executemany counts once) plus every COMMIT.
It asserts nothing.

Goals: at least 50 deliveries per second against the loopback stand-in (the sender's own cost;
Slack itself allows about one message per second per channel), at most 1 database round trip per
delivery, and every delivery sent exactly once. ``--json`` prints the figures for
bench/report.py; ``--quick`` drains 200 (a smoke run whose figures mean little).

    python bench/notify.py [--deliveries 10000] [--database-url URL] [--json] [--quick]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the Slack stand-in
sys.path.insert(0, str(ROOT / "bench"))

from pytest_httpserver import HTTPServer  # noqa: E402
from sqlalchemy import event, insert  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from monitor.config import load_settings  # noqa: E402
from monitor.db import make_engine, upgrade  # noqa: E402
from monitor.delivery.slack_messages import post_message  # noqa: E402
from monitor.delivery.slack_sender import drain  # noqa: E402
from monitor.models import Delivery, OutboxMessage  # noqa: E402
from slack_standin import TOKEN, SlackStandIn  # noqa: E402
from _figures import at_least, at_most, context, holds, print_json  # noqa: E402

UTC = timezone.utc


def _payload(n: int) -> dict:
    item = {
        "finding_id": n,
        "obligation_id": "hhs_separated_children_monthly",
        "obligation": "HHS Report to Congress on Separated Children",
        "agency": "HHS",
        "kind": "missing",
        "from_kind": None,
        "family": "timeliness",
        "severity": "high",
        "period": f"{2000 + n // 12}-{n % 12 + 1:02d}",
        "due": "2022-05-03",
        "days_late": None,
        "summary": f"report {n} not published",
        "reason": None,
        "citation": "P.L. 116-94 Div. A, sec. 235",
        "report_url": None,
        "report_title": None,
        "sha256": None,
        "listing_url": "https://www.hhs.gov/list.html",
        "listing_sha256": "ab" * 32,
        "quote": None,
        "page": None,
        "at": None,
    }
    return post_message([item], "opened")


def queue(engine, count: int, now: datetime) -> None:
    payload = _payload(1)
    with engine.begin() as conn:
        conn.execute(
            insert(OutboxMessage),
            [
                {
                    "id": i,
                    "created_at": now,
                    "action": "post",
                    "change": "opened",
                    "obligation_id": "hhs_separated_children_monthly",
                    "kind": "missing",
                    "severity": "high",
                    "group_key": f"g{i}",
                    "parent_id": None,
                    "payload": payload,
                    "routed_at": now,
                }
                for i in range(1, count + 1)
            ],
        )
        conn.execute(
            insert(Delivery),
            [
                {
                    "outbox_id": i,
                    "kind": "slack",
                    "channel": "C0BENCH",
                    "idempotency_key": f"k{i}",
                    "summary": payload["header"],
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "needs_check": False,
                }
                for i in range(1, count + 1)
            ],
        )


class RoundTrips:
    def __init__(self, engine) -> None:
        self.statements = self.commits = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, *args) -> None:
        self.statements += 1

    def _commit(self, *args) -> None:
        self.commits += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument("--quick", action="store_true", help="200 deliveries: a smoke run.")
    args = parser.parse_args()
    if args.quick:
        args.deliveries = 200
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='bench-notify-')}/b.db"
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    queue(engine, args.deliveries, now)

    server = HTTPServer(host="127.0.0.1", port=0)
    standin = SlackStandIn()
    standin.record_calls = False
    server.start()
    base_url = standin.install(server)
    settings = load_settings(
        {
            "MONITOR_SLACK_TOKEN": TOKEN,
            "MONITOR_SLACK_CHANNEL": "C0BENCH",
            "MONITOR_SLACK_BASE_URL": base_url,
        }
    )

    @contextmanager
    def sessions():
        with Session(engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    trips = RoundTrips(engine)
    t0 = time.perf_counter()
    report = drain(sessions, settings, clock=lambda: datetime.now(UTC))
    elapsed = time.perf_counter() - t0
    server.stop()
    engine.dispose()

    delivered = report.sent
    rate = delivered / elapsed if elapsed else 0.0
    per_delivery = (trips.statements + trips.commits) / max(1, delivered)
    posted = standin.posts("C0BENCH")
    once = (
        delivered
        == args.deliveries
        == len(posted)
        == len({m["metadata"]["event_payload"]["idempotency_key"] for m in posted})
    )
    if args.json:
        print_json(
            "notify",
            [
                at_least("deliveries per second (loopback Slack stand-in)", rate, 50, "/s"),
                at_most("database round trips per delivery", per_delivery, 1),
                holds("every delivery sent exactly once", once),
                context("deliveries drained", delivered),
                context("drain time", elapsed, "s"),
            ],
            {
                "statements": trips.statements,
                "commits": trips.commits,
                "database": url.split(":", 1)[0],
            },
        )
    else:
        print(
            f"drained {delivered} of {args.deliveries} deliveries in {elapsed:.1f} s: "
            f"{rate:.1f} deliveries/s (goal >= 50)"
        )
        print(
            f"database round trips: {trips.statements} statements + {trips.commits} commits "
            f"= {per_delivery:.2f} per delivery (goal <= 1; {url.split(':', 1)[0]})"
        )
        print(f"every delivery sent exactly once: {once}")
    return 0 if once else 1


if __name__ == "__main__":
    sys.exit(main())
