from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest

from scrapers.fetch.archive import ArchiveError, sha256_hex

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
    with pytest.raises(ArchiveError, match="corrupt"):  # BodyUnavailable, state "altered"
        archive.get(stored.sha256)
    with pytest.raises(ArchiveError, match="missing"):
        archive.get("0" * 64)


def test_an_altered_copy_is_kept_in_quarantine_when_the_genuine_bytes_come_back(archive):
    stored = archive.put(b"genuine")
    path = archive.path(stored.sha256)
    os.chmod(path, 0o644)
    path.write_bytes(b"edited")
    assert archive.check(stored.sha256).state == "altered"
    again = archive.put(b"genuine")
    assert again.healed == f"quarantine/{stored.sha256[:2]}/{stored.sha256}.1"
    assert archive.get(stored.sha256) == b"genuine"
    assert (archive.root / again.healed).read_bytes() == b"edited"
    path.unlink()  # and a missing body is simply written again
    assert archive.put(b"genuine").created and archive.check(stored.sha256).state == "ok"
    assert oct(os.stat(path).st_mode & 0o777) == "0o444"  # bodies are written read-only


def test_scan_finds_what_is_wrong_and_what_is_left_over(archive):
    good = archive.put(b"good", capture={"url": "https://a/1"}, fetched_at=T0)
    bad = archive.put(b"bad")
    os.chmod(archive.path(bad.sha256), 0o644)
    archive.path(bad.sha256).write_bytes(b"worse")
    (archive.path(good.sha256).parent / ".incoming-x1").write_bytes(b"half")
    (archive.root / "objects" / "ab").mkdir()
    (archive.root / "objects" / "ab" / "readme").write_text("?")
    empty = archive.root / "captures" / bad.sha256[:2] / bad.sha256 / "x.json"
    empty.parent.mkdir(parents=True)
    empty.write_bytes(b"")
    scan = archive.scan()
    assert scan.objects == 2 and scan.intact == {good.sha256}
    assert [(c.sha256, c.found_sha256) for c in scan.altered] == [
        (bad.sha256, sha256_hex(b"worse"))
    ]
    assert scan.misnamed == ["objects/ab/readme"]
    assert len(scan.leftovers) == 1 and scan.leftovers[0].endswith(".incoming-x1")
    assert list(scan.captures.values()) == [good.sha256]
    assert list(scan.bad_captures) == [str(empty.relative_to(archive.root))]
