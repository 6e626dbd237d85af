"""The evidence archive: every fetched body stored once under its sha256, never overwritten.

Layout under the archive root::

    objects/ab/abcdef...            the body, named by its sha256
    captures/ab/abcdef.../<time>-<n>.json
                                    one file per capture: URL, fetched-at, status, headers

A capture file is written for every fetch that returned a body, so the archive alone can show
when and from where a body was seen, even without the database.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


class ArchiveError(Exception):
    pass


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    storage: str  # path relative to the archive root
    created: bool  # False when the same bytes were already archived


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class Archive:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _object_rel(self, sha: str) -> str:
        return f"objects/{sha[:2]}/{sha}"

    def path(self, sha: str) -> Path:
        return self.root / self._object_rel(sha)

    def put(self, body: bytes, capture: dict[str, Any] | None = None,
            fetched_at: datetime | None = None) -> Stored:
        """Store ``body`` (if new) and one capture record. Existing files are never rewritten."""
        sha = sha256_hex(body)
        target = self.path(sha)
        created = False
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(body)
                    fh.flush()
                    os.fsync(fh.fileno())
                try:
                    os.link(tmp, target)  # fails if another writer got there first: never replace
                    created = True
                except FileExistsError:
                    pass
            finally:
                os.unlink(tmp)
        if capture is not None:
            self._write_capture(sha, capture, fetched_at)
        return Stored(sha, len(body), self._object_rel(sha), created)

    def _write_capture(self, sha: str, capture: dict[str, Any], fetched_at: datetime | None) -> None:
        folder = self.root / "captures" / sha[:2] / sha
        folder.mkdir(parents=True, exist_ok=True)
        stamp = (fetched_at.strftime("%Y%m%dT%H%M%S.%fZ") if fetched_at else "undated")
        for n in range(1000):
            name = folder / f"{stamp}-{n}.json"
            try:
                with name.open("x", encoding="utf-8") as fh:
                    json.dump({"sha256": sha, **capture}, fh, indent=1, sort_keys=True, default=str)
                return
            except FileExistsError:
                continue
        raise ArchiveError(f"too many captures of {sha} at {stamp}")

    def get(self, sha: str) -> bytes:
        """Read a body back, checking that it still hashes to its name."""
        try:
            body = self.path(sha).read_bytes()
        except FileNotFoundError:
            raise ArchiveError(f"archived body {sha} is missing from {self.root}") from None
        if sha256_hex(body) != sha:
            raise ArchiveError(f"archived body {sha} is corrupt (hash mismatch)")
        return body

    def captures(self, sha: str) -> list[dict[str, Any]]:
        folder = self.root / "captures" / sha[:2] / sha
        if not folder.is_dir():
            return []
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
