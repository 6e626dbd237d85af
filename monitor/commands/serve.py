"""monitor serve: the monitor as a service (APScheduler), one leader per database."""

from __future__ import annotations

import argparse


def _duration(text: str):
    from monitor.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} {exc}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 and at most 86400")
    return value


def register(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="Run as a service: poll, evaluate, alert and send the digest on schedule.",
        description="Keeps the monitor's schedule: polls each source when it is due (sooner "
        "while it is failing), evaluates after each poll and once a day, sends the "
        "Slack outbox every minute and the weekly digest at digest_day/digest_time "
        "in digest_timezone, catching up once after downtime. One instance leads "
        "per database; another one stands by and takes over within a minute when "
        "the leader dies (or exits 1 with --no-standby). SIGTERM or SIGINT: finish "
        "the running job and exit 0; SIGHUP: reload the settings file.",
    )
    p.add_argument(
        "--standby",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="When another instance leads: wait and take over when it goes "
        "(default), or exit 1 at once (--no-standby).",
    )
    p.add_argument(
        "--mirror",
        metavar="BASE",
        help="Fetch https://host/path from BASE/host/path (the demo's server: "
        "`monitor demo --serve-only`), as `monitor fetch --mirror` does.",
    )
    p.add_argument(
        "--poll-every",
        type=_duration,
        metavar="DURATION",
        help="Poll every source this often instead of its declared interval "
        "(e.g. 90m; for trials against a mirror).",
    )
    p.add_argument(
        "--drain-every",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="Seconds between two drains of the Slack outbox (default 60).",
    )
    p.add_argument(
        "--heartbeat",
        type=_seconds,
        default=20.0,
        metavar="SECONDS",
        help="Seconds between two heartbeats of the leader, and between two tries "
        "of a standby to take over (default 20).",
    )
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    import signal
    from urllib.parse import urlsplit

    from monitor.errors import MonitorError
    from monitor.service import ServeOptions, Service, quiet_scheduler_logs

    if args.mirror and urlsplit(args.mirror).scheme not in ("http", "https"):
        raise MonitorError(f"--mirror must be an http(s) URL, not {args.mirror!r}")
    quiet_scheduler_logs(ctx.settings.log_level)
    service = Service(
        ctx,
        ServeOptions(
            standby=args.standby,
            mirror=args.mirror,
            poll_every=args.poll_every,
            drain_every=args.drain_every,
            heartbeat_every=args.heartbeat,
            backoff_max=max(300.0, args.heartbeat),
        ),
    )
    handlers = {
        signal.SIGTERM: lambda *_: service.stop(),
        signal.SIGINT: lambda *_: service.stop(),
        signal.SIGHUP: lambda *_: service.request_reload(),
    }
    previous = {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}
    try:
        return service.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
