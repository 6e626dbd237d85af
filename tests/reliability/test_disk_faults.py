"""Disk and permission faults are one line and leave nothing half-written: a full disk (a patched
writer, and a real 64 KiB tmpfs where this machine lets a test mount one in a private mount
namespace), an unwritable archive directory and an unwritable home each end a command with one
line saying what could not be written, exit status 1, no traceback, no partial file under a
final name, and the database as it was for the document being stored."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import responses

from fetch_fakes import R1, Site, good_site, registered, stored_state

SOURCE_ENV = {
    "HOST_MIN_INTERVAL": "0",
    "HTTP_BACKOFF": "0",
    "HTTP_RETRIES": "0",
    "CONTACT": "ops@example.org",
}


@pytest.fixture
def site():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield Site(rsps)


@pytest.fixture
def fault_cli(cli_db, monkeypatch, registries):
    from scrapers.registry import Registry

    registries.sources = Registry([registered()])
    for name, value in SOURCE_ENV.items():
        monkeypatch.setenv(f"MONITOR_{name}", value)
    return cli_db


class FullDisk:
    """``os.write`` answers ENOSPC for files under ``root`` (and, if ``only`` is given, whose
    path contains it), as a full file system does; other writes go through."""

    def __init__(self, root: Path, only: str | None = None) -> None:
        self.root, self.only, self.refused = str(root), only, []
        self._write = os.write

    def __call__(self, fd, data):
        try:
            path = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            path = ""
        if path.startswith(self.root) and (self.only is None or self.only in path):
            self.refused.append(path)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self._write(fd, data)


def files_under(root: Path) -> list[str]:
    return (
        sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        if root.exists()
        else []
    )


def one_line(err: str) -> str:
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def db_state(engine, archive_root):
    from sqlalchemy.orm import Session

    from scrapers.fetch.archive import Archive

    with Session(engine) as session:
        return stored_state(session, Archive(archive_root))


@pytest.mark.parametrize("only", [None, "/captures/"], ids=["bodies", "capture-records"])
def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(
    fault_cli, site, engine, monitor_env, monkeypatch, only
):
    good_site(site)
    root = monitor_env / "archive"
    root.mkdir(parents=True)
    before = db_state(engine, root)
    disk = FullDisk(root, only)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "write", disk)
        rc, out, err = fault_cli("fetch", "fake_agency")
    assert rc == 1 and disk.refused
    line = one_line(err)
    assert line.startswith("error: cannot write") and "No space left on device" in line
    assert "nothing from this poll of fake_agency was stored" in line
    after = db_state(engine, root)
    assert after["counts"] == before["counts"] and after["reports"] == before["reports"]
    left = files_under(root)
    assert not [f for f in left if "/.incoming-" in f]  # no temporary file left behind
    assert not [f for f in left if f.startswith("captures/")]  # no (0-byte) capture record
    for rel in left:  # whatever body did get written is whole
        assert Path(rel).name == __import__("hashlib").sha256((root / rel).read_bytes()).hexdigest()
    # the disk has room again: the next fetch stores everything
    rc, out, err = fault_cli("fetch", "fake_agency")
    assert rc == 0, err
    assert len([f for f in files_under(root) if f.startswith("captures/")]) == 3


class ReadOnly:
    """``os.open`` and ``os.mkdir`` answer EROFS for anything created under ``root``, as a
    read-only file system (or a directory whose permissions changed under a running monitor)
    does. A patch, because a test may run as root, whom permission bits do not stop."""

    def __init__(self, root: Path) -> None:
        self.root, self.refused = str(root), []
        self._open, self._mkdir = os.open, os.mkdir

    def _refuse(self, path) -> None:
        if str(os.path.abspath(path)).startswith(self.root):
            self.refused.append(str(path))
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    def open(self, path, flags, *args, **kwargs):
        if flags & (os.O_CREAT | os.O_WRONLY | os.O_RDWR):
            self._refuse(path)
        return self._open(path, flags, *args, **kwargs)

    def mkdir(self, path, *args, **kwargs):
        self._refuse(path)
        return self._mkdir(path, *args, **kwargs)


def test_a_read_only_archive_dir_is_one_line(fault_cli, site, engine, monitor_env):
    good_site(site)
    root = monitor_env / "archive"
    root.mkdir(parents=True)
    before = db_state(engine, root)
    read_only = ReadOnly(root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "open", read_only.open)
        patch.setattr(os, "mkdir", read_only.mkdir)
        rc, out, err = fault_cli("fetch", "fake_agency")
    line = one_line(err)
    assert rc == 1 and read_only.refused
    assert line.startswith("error: cannot write body") and "Read-only file system" in line
    assert str(root) in line
    assert db_state(engine, root)["counts"] == before["counts"]
    assert files_under(root) == []


def test_a_full_disk_while_ingesting_is_one_line(
    fault_cli, engine, monitor_env, tmp_path, monkeypatch
):
    doc = tmp_path / "r1.pdf"
    doc.write_bytes(b"%PDF-1.4\nTITLE Report one\nTOTAL 7\n%%EOF\n")
    root = monitor_env / "archive"
    root.mkdir(parents=True)
    before = db_state(engine, root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "write", FullDisk(root))
        rc, out, err = fault_cli("ingest", "fake_agency", str(doc), "--url", R1)
    assert rc == 1 and "No space left on device" in one_line(err)
    assert db_state(engine, root)["counts"] == before["counts"]
    assert files_under(root) == []


def _private_tmpfs_works(tmp_path: Path) -> str | None:
    """None if `unshare --mount` can mount a tmpfs here (root in a private mount namespace, so
    nothing outlives the test); otherwise why not."""
    if not sys.platform.startswith("linux") or shutil.which("unshare") is None:
        return "no unshare(1) on this machine"
    probe = tmp_path / "probe"
    probe.mkdir()
    try:
        proc = subprocess.run(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                f"mount -t tmpfs -o size=64k tmpfs {probe}",
            ],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare failed: {exc}"
    return None if proc.returncode == 0 else f"cannot mount a tmpfs: {proc.stderr.strip()}"


def test_a_real_full_disk_in_a_private_tmpfs(db_url, tmp_path, httpserver):
    """The same as the patched writer, with the kernel saying ENOSPC: the archive lives on a
    64 KiB tmpfs mounted in a private mount namespace (gone when the command ends) and the
    report is 200 KiB."""
    why = _private_tmpfs_works(tmp_path)
    if why:  # only where the kernel forbids a private mount (containers without CAP_SYS_ADMIN)
        pytest.skip(
            f"a real full disk needs a private tmpfs ({why}); the patched-writer "
            "tests above cover the same outcome"
        )
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from monitor.db import make_engine
    from monitor.models import FetchRun, Snapshot

    body = b"%PDF-1.4\n" + b"0" * 200_000 + b"\n%%EOF\n"
    httpserver.expect_request("/fuar.pdf").respond_with_data(body, content_type="application/pdf")
    archive = tmp_path / "archive"
    archive.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(
        {
            "MONITOR_HOME": str(tmp_path / "home"),
            "MONITOR_DATABASE_URL": db_url,
            "MONITOR_ARCHIVE_DIR": str(archive),
            "MONITOR_LOG_FORMAT": "json",
            **{f"MONITOR_{k}": v for k, v in SOURCE_ENV.items()},
        }
    )
    monitor = [sys.executable, "-m", "monitor.cli"]
    script = f"mount -t tmpfs -o size=64k tmpfs {archive} && exec " + " ".join(
        monitor + ["fetch", "dhs_family_unit_actions", "--url", httpserver.url_for("/fuar.pdf")]
    )
    proc = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = one_line(proc.stderr)
    assert "No space left on device" in line and line.startswith("error: cannot write body")
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(FetchRun)) == 0
            assert session.scalar(select(func.count()).select_from(Snapshot)) == 0
    finally:
        engine.dispose()
