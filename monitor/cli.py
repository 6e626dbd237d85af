"""`monitor` command line. Each command lives in monitor/commands/<name>.py and registers itself;
those modules import only argparse at top level so that `monitor --help` stays fast.

Exit status: 0 success, 1 failure (one line on stderr for expected failures), 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from monitor import __version__


def build_parser() -> argparse.ArgumentParser:
    import monitor.commands as pkg

    parser = argparse.ArgumentParser(
        prog="monitor",
        description="Compliance monitor for the family-separation reports Congress requires "
        "from DHS and HHS: fetch, archive, parse, evaluate, alert.",
    )
    parser.add_argument("--version", action="version", version=f"monitor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"monitor.commands.{info.name}").register(sub)
    return parser


def purpose(args: argparse.Namespace) -> str:
    """What a command holding the writer lock is, for whoever waits: its name and action,
    never its arguments (a --url may carry a secret)."""
    words = ["monitor", args.command]
    for dest in ("action", "db_command"):
        if isinstance(getattr(args, dest, None), str):
            words.append(getattr(args, dest))
    return " ".join(words)


def main(argv: list[str] | None = None, *, sources=None, obligations=None) -> int:
    """Run one command. ``sources`` (a :class:`scrapers.registry.Registry`) and
    ``obligations`` replace the discovered sources and the bundled rule files."""
    parser = build_parser()
    args = parser.parse_args(argv)

    from monitor.context import Context
    from monitor.errors import MonitorError
    from scrapers.fetch.archive import ArchiveError
    from scrapers.registry import UnknownSource

    try:
        ctx = Context.from_environment(sources=sources, obligations=obligations)
        writes = getattr(args, "writes", False)
        if callable(writes):
            writes = writes(args)
        if not writes:
            return int(args.handler(args, ctx) or 0)
        with ctx.writing(purpose=purpose(args)):  # one writer per database at a time
            ctx.begin_command(purpose(args))
            try:
                rc = int(args.handler(args, ctx) or 0)
            except BaseException as exc:
                ctx.end_command(1, error=f"{type(exc).__name__}: {exc}"[:500])
                raise
            ctx.end_command(rc)
            return rc
    except (MonitorError, UnknownSource, ArchiveError) as exc:
        for line in str(exc).splitlines() or [type(exc).__name__]:
            print(f"error: {line}", file=sys.stderr)  # one line per problem (bad settings)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `monitor findings | head`: the reader left; say nothing more on the closed pipe.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        # The file system said no (a read-only or full disk, a directory that cannot be made):
        # one line naming what, never a traceback. Anything already committed stays.
        what = f"cannot use {exc.filename}: " if exc.filename else ""
        print(f"error: {what}{exc.strerror or exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
