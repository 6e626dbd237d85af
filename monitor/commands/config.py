"""monitor config: the effective settings, secrets redacted."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser(
        "config",
        help="Show the effective configuration (secrets redacted).",
        description="Defaults, overlaid by the MONITOR_CONFIG TOML file, overlaid "
        "by MONITOR_* environment variables. Secrets show as ***.",
    )
    p.add_argument("--json", action="store_true", help="Machine-readable output.")
    p.set_defaults(handler=run)


def run(args, ctx) -> int:
    data = ctx.settings.redacted()
    if args.json:
        from monitor.output import print_json

        print_json(data)
    else:
        width = max(len(k) for k in data)
        for key, value in data.items():
            print(f"{key.ljust(width)}  {'' if value is None else value}")
    return 0
