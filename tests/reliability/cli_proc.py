"""`monitor` in a real process, for the reliability tests that need one (two commands at once,
kill -9). Arguments as for `monitor`. With MONITOR_TEST_MIRROR=BASE every request goes to that
loopback server instead of the agency's host (the demo server's layout, as `fetch --mirror`
does), so no test reaches the internet."""

import os
import sys

base = os.environ.get("MONITOR_TEST_MIRROR")
if base:
    from scrapers.fetch import http

    _original = http.Fetcher.from_settings.__func__

    def _from_settings(cls, settings, **kwargs):
        kwargs["rewrite"] = http.mirror_rewrite(base)
        return _original(cls, settings, **kwargs)

    http.Fetcher.from_settings = classmethod(_from_settings)

from monitor.cli import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
