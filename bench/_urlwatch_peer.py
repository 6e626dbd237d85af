"""urlwatch over the same loopback pages, for bench/poll_cycle.py ``--peer urlwatch``.

Run in its own process: ``python bench/_urlwatch_peer.py URLS_FILE WORKDIR``, URLS_FILE holding
one URL a line. It builds urlwatch's configuration, jobs file and cache in WORKDIR (nothing in
the user's own urlwatch directory), then runs two cycles through urlwatch's own API, as
``urlwatch`` would from the command line: a first one (every page new) and a second one (every
page answers 304: urlwatch sends the ETag it cached). Each cycle is timed from just before
``run_jobs`` to just after the report is finished and the cache closed; importing urlwatch and
reading its files are outside the timing, as the monitor's start-up is outside its own. It
prints ``{"full": {"wall_s": ...}, "nochange": {"wall_s": ...}}`` as its last line.

urlwatch (2.29, the ``bench`` extra) is not a dependency of the monitor: only this script
imports it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time

import yaml


def cycle(workdir: str) -> float:
    from urlwatch.config import CommandConfig
    from urlwatch.main import Urlwatch
    from urlwatch.storage import CacheMiniDBStorage, UrlsYaml, YamlConfigStorage

    config = os.path.join(workdir, "urlwatch.yaml")
    urls = os.path.join(workdir, "urls.yaml")
    hooks = os.path.join(workdir, "hooks.py")
    cache = os.path.join(workdir, "cache.db")
    command = CommandConfig([], "urlwatch", workdir, sys.prefix, config, urls, hooks, cache, False)
    out = io.StringIO()  # urlwatch's stdout report: produced (and paid for), not shown
    with contextlib.redirect_stdout(out):
        watcher = Urlwatch(
            command, YamlConfigStorage(config), CacheMiniDBStorage(cache), UrlsYaml(urls)
        )
        started = time.perf_counter()
        watcher.run_jobs()
        watcher.close()
        return time.perf_counter() - started


def main(argv: list[str]) -> int:
    urls_file, workdir = argv
    with open(urls_file) as fh:
        urls = [line.strip() for line in fh if line.strip()]
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, "urls.yaml"), "w") as fh:
        yaml.safe_dump_all([{"name": f"page {i}", "url": u} for i, u in enumerate(urls)], fh)
    # the default configuration, written once outside the timing (urlwatch does it on first run)
    with contextlib.redirect_stdout(io.StringIO()):
        from urlwatch.storage import YamlConfigStorage

        YamlConfigStorage.write_default_config(os.path.join(workdir, "urlwatch.yaml"))
    full = cycle(workdir)
    nochange = cycle(workdir)
    print(json.dumps({"full": {"wall_s": full}, "nochange": {"wall_s": nochange}}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
