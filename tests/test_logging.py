from __future__ import annotations

import io
import json
import logging

from monitor.log import setup_logging


def test_json_lines_when_not_a_terminal_with_extras_and_redaction():
    stream = io.StringIO()
    setup_logging("info", "auto", secrets=["xoxb-123-secret"], stream=stream)
    log = logging.getLogger("monitor.test")
    log.info(
        "posting with token %s", "xoxb-123-secret", extra={"url": "https://x/?api_key=ABC&q=1"}
    )
    try:
        raise RuntimeError("failed with xoxb-123-secret")
    except RuntimeError:
        log.exception("boom")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["msg"] == "posting with token ***"
    assert lines[0]["url"] == "https://x/?api_key=***&q=1"
    assert lines[0]["level"] == "info"
    assert "xoxb-123-secret" not in stream.getvalue()
    assert "RuntimeError" in lines[1]["exc"]


def test_text_format_for_people():
    stream = io.StringIO()
    setup_logging("warning", "text", stream=stream)
    logging.getLogger("monitor.test").info("hidden")
    logging.getLogger("monitor.test").warning("shown", extra={"source": "hhs"})
    assert stream.getvalue() == "warning: shown [source=hhs]\n"
