"""Structured logging: JSON lines when stderr is not a terminal, short text when it is.

A filter replaces every configured secret value, URL credentials and secret-looking parameters
(``api_key=...``, ``token=...``: :func:`scrapers.redact.redact_text`, the redaction used for
everything stored and printed) with ``***`` in the message and in extra fields, so a secret
cannot leak through a log line even when code logs a URL or an exception that contains it.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Iterable

from scrapers.redact import redact_text

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        return redact_text(text, self.secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.redact(value))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_text:
            out["exc"] = record.exc_text
        return json.dumps(out, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        extras = {
            k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")
        }
        tail = " ".join(f"{k}={v}" for k, v in extras.items())
        line = f"{record.levelname.lower()}: {record.getMessage()}" + (f" [{tail}]" if tail else "")
        if record.exc_text:
            line += "\n" + record.exc_text
        return line


def setup_logging(
    level: str = "info", fmt: str = "auto", secrets: Iterable[str] = (), stream=None
) -> logging.Handler:
    """Install one handler on the root logger (replacing an earlier one of ours)."""
    stream = stream or sys.stderr
    if fmt == "auto":
        fmt = "text" if getattr(stream, "isatty", lambda: False)() else "json"
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactingFilter(secrets))
    handler._monitor = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_monitor", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Alembic narrates every connection at INFO; the monitor logs migrations itself.
    logging.getLogger("alembic").setLevel("DEBUG" if level.lower() == "debug" else "WARNING")
    return handler
