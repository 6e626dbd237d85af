from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

from scrapers.archive import ArchiveError, sha256_hex

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def test_bodies_are_stored_once_by_hash_with_a_capture_each(archive):
    first = archive.put(b"report body", capture={"url": "https://a/1"}, fetched_at=T0)
    again = archive.put(b"report body", capture={"url": "https://a/2"}, fetched_at=T0)
    assert first.created and not again.created
    assert first.sha256 == again.sha256 == sha256_hex(b"report body")
    assert archive.get(first.sha256) == b"report body"
    urls = [c["url"] for c in archive.captures(first.sha256)]
    assert urls == ["https://a/1", "https://a/2"]


def test_existing_body_is_never_overwritten(archive):
    stored = archive.put(b"original")
    path = archive.path(stored.sha256)
    mtime = os.stat(path).st_mtime_ns
    archive.put(b"original")
    assert os.stat(path).st_mtime_ns == mtime
    assert not list(path.parent.glob(".incoming-*"))


def test_corruption_is_detected_on_read(archive):
    stored = archive.put(b"evidence")
    path = archive.path(stored.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(ArchiveError, match="corrupt"):
        archive.get(stored.sha256)
    with pytest.raises(ArchiveError, match="missing"):
        archive.get("0" * 64)
