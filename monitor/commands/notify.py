"""monitor notify: drain the delivery outbox to Slack (or show what would be sent)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "notify",
        help="Send the Slack alerts waiting in the outbox.",
        description="Routes new outbox messages to their channels (slack_routes, slack_channel), "
        "then sends every delivery that is due, each exactly once: every attempt is "
        "recorded, failures are retried with backoff, permanent refusals "
        "(invalid_auth, channel_not_found, not_in_channel) are dead-lettered and "
        "open an operator finding. Exit 0 when everything due was sent, 1 when "
        "Slack is not configured or anything failed.",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="Print the Slack API calls (Block Kit JSON) that would be made; send "
        "and write nothing. Works without a token.",
    )
    p.add_argument(
        "--retry-dead",
        action="store_true",
        help="First put dead-lettered deliveries back in the queue (after fixing "
        "the token or the channel).",
    )
    p.set_defaults(handler=run, writes=lambda a: not a.dry_run)


def run(args, ctx) -> int:
    import sys

    from monitor.delivery.routing import plan
    from monitor.delivery.slack_sender import drain, retry_dead
    from monitor.errors import ConfigError
    from monitor.output import print_json

    if args.dry_run:
        with ctx.session() as session:
            print_json(plan(session, ctx.settings))
            session.rollback()
        return 0
    if args.retry_dead:
        with ctx.session() as session:
            print(f"{retry_dead(session, ctx.now())} dead delivery(ies) queued again")
    report = drain(ctx.session, ctx.settings, clock=ctx.now)
    if report.not_configured:
        raise ConfigError(f"Slack is not configured: {report.not_configured}")
    print(report.line())
    if report.dead:
        print(
            f"dead-lettered: {', '.join(map(str, report.dead_ids))} (see `monitor deliveries "
            "--failed`)",
            file=sys.stderr,
        )
    return 1 if report.failed else 0
