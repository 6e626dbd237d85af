"""The evidence archive: every fetched body stored once under its sha256, checked whenever it is
used, never overwritten.

Layout under the archive root::

    objects/ab/<sha256>                   the body, named by its sha256 (a read-only file)
    captures/ab/<sha256>/<time>-<n>.json  a capture record: URL, fetched-at, status, headers
    quarantine/ab/<sha256>.<n>            a file that stood at objects/ab/<sha256> but no longer
                                          hashed to its name, kept aside when the genuine bytes
                                          were archived again

**Capture records** are written when a URL serves something new (a body or a status different
from its previous capture), not at every fetch: the caller decides, and counts repeats in the
database (monitor/captures.py explains why there and not in a file). This module writes the
record it is given and never touches it again.

**Writing.** Every file is first written to a temporary file in its final directory, flushed,
fsync'ed, then linked to its final name (a link never replaces an existing name) and the
directory fsync'ed; the temporary name is removed whatever happens. A crash, a full disk or an
unwritable directory therefore leaves no partial file under a final name, and the failure is an
:class:`ArchiveWriteError` saying what could not be written where.

**Checking.** Nothing in the archive is trusted. :meth:`Archive.get` and :meth:`Archive.check`
hash the file against its name. :meth:`Archive.put` of bytes already present checks the file
there, and when it no longer matches (edited, truncated) *heals* it: the altered file is linked
into ``quarantine/`` first, then the genuine bytes replace it at their name, and the returned
:class:`Stored` names the quarantined copy, so the caller can report it. A missing body is
written again. Nothing is ever deleted: what an operator or an attacker changed stays visible.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

_SHA = re.compile(r"[0-9a-f]{64}")
_TEMP_PREFIX = ".incoming-"
STATES = ("ok", "missing", "altered")


class ArchiveError(Exception):
    pass


class BodyUnavailable(ArchiveError):
    """An archived body is missing, or its file no longer hashes to its name."""

    def __init__(self, sha256: str, state: str, message: str) -> None:
        super().__init__(message)
        self.sha256, self.state = sha256, state


class ArchiveWriteError(ArchiveError):
    """Something could not be written to the archive (full disk, no permission...)."""


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    storage: str  # path relative to the archive root
    created: bool  # False when the same bytes were already archived
    healed: str | None = None  # an altered file was replaced: where it was kept (relative)


@dataclass(frozen=True)
class BodyCheck:
    sha256: str
    state: str  # ok | missing | altered
    found_sha256: str | None = None  # what an altered file hashes to
    size: int | None = None


@dataclass
class ArchiveScan:
    """Everything found on disk by :meth:`Archive.scan` (no database involved)."""

    objects: int = 0
    intact: set[str] = field(default_factory=set)
    altered: list[BodyCheck] = field(default_factory=list)
    misnamed: list[str] = field(default_factory=list)  # files under objects/ not named by a hash
    captures: dict[str, str] = field(default_factory=dict)  # relative path -> sha256 of its body
    bad_captures: dict[str, str] = field(default_factory=dict)  # relative path -> why
    leftovers: list[str] = field(default_factory=list)  # temporary files of interrupted writes
    quarantined: list[str] = field(default_factory=list)


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot sync a directory: the link still stands
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


class Archive:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    # --- where things are -----------------------------------------------------------------

    def object_rel(self, sha: str) -> str:
        return f"objects/{sha[:2]}/{sha}"

    _object_rel = object_rel

    def path(self, sha: str) -> Path:
        return self.root / self.object_rel(sha)

    def _capture_dir(self, sha: str) -> Path:
        return self.root / "captures" / sha[:2] / sha

    # --- writing ----------------------------------------------------------------------------

    def _mkdir(self, folder: Path, what: str) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveWriteError(
                f"cannot write {what} to the archive: cannot create {folder}: {_reason(exc)}"
            ) from None

    def _temp(self, folder: Path, data: bytes, what: str, mode: int) -> str:
        """A fully written, fsync'ed temporary file in ``folder``; its path."""
        self._mkdir(folder, what)
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=_TEMP_PREFIX)
        except OSError as exc:
            raise ArchiveWriteError(
                f"cannot write {what} to the archive in {folder}: {_reason(exc)}"
            ) from None
        try:
            _write_all(fd, data)
            os.fsync(fd)
            os.fchmod(fd, mode)
        except OSError as exc:
            os.close(fd)
            os.unlink(tmp)
            raise ArchiveWriteError(
                f"cannot write {what} ({len(data):,} bytes) to the archive "
                f"in {folder}: {_reason(exc)}"
            ) from None
        os.close(fd)
        return tmp

    def _link(self, tmp: str, target: Path, what: str) -> bool:
        """Give ``tmp`` the name ``target``; False if that name exists (it is never replaced)."""
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        except OSError as exc:
            raise ArchiveWriteError(
                f"cannot write {what} to the archive at {target}: {_reason(exc)}"
            ) from None
        _fsync_dir(target.parent)
        return True

    def put(
        self, body: bytes, capture: dict[str, Any] | None = None, fetched_at: datetime | None = None
    ) -> Stored:
        """Store ``body`` unless its intact copy is there; heal an altered copy (see the module
        docstring). With ``capture``, also write that capture record."""
        sha = sha256_hex(body)
        target = self.path(sha)
        created, healed = False, None
        state = self._state(target, sha, len(body))
        if state != "ok":
            what = f"body {sha}"
            tmp: str | None = self._temp(target.parent, body, what, 0o444)
            try:
                state = self._state(target, sha, len(body))  # another writer may have been here
                if state == "missing":
                    created = self._link(tmp, target, what)
                elif state == "altered":
                    healed = self._keep_aside(target, sha)
                    try:
                        os.replace(tmp, target)
                    except OSError as exc:
                        raise ArchiveWriteError(
                            f"cannot write {what} to the archive at {target}: {_reason(exc)}"
                        ) from None
                    tmp = None
                    _fsync_dir(target.parent)
            finally:
                if tmp is not None:
                    os.unlink(tmp)
        if capture is not None:
            self.write_capture(sha, capture, fetched_at)
        return Stored(sha, len(body), self.object_rel(sha), created, healed)

    def _keep_aside(self, target: Path, sha: str) -> str:
        folder = self.root / "quarantine" / sha[:2]
        self._mkdir(folder, f"the altered copy of body {sha}")
        for n in range(1, 10_000):
            name = folder / f"{sha}.{n}"
            try:
                os.link(target, name)
            except FileExistsError:
                continue
            except OSError as exc:
                raise ArchiveWriteError(
                    f"cannot keep the altered copy of body {sha} at {name}: {_reason(exc)}"
                ) from None
            _fsync_dir(folder)
            return str(name.relative_to(self.root))
        raise ArchiveWriteError(f"too many quarantined copies of body {sha}")

    def write_capture(self, sha: str, record: dict[str, Any], fetched_at: datetime | None) -> str:
        """Write one capture record of body ``sha``; its path relative to the archive root."""
        folder = self._capture_dir(sha)
        stamp = fetched_at.strftime("%Y%m%dT%H%M%S.%fZ") if fetched_at else "undated"
        data = json.dumps({"sha256": sha, **record}, indent=1, sort_keys=True, default=str).encode(
            "utf-8"
        )
        what = f"a capture record of body {sha}"
        tmp = self._temp(folder, data, what, 0o444)
        try:
            for n in range(1000):
                name = folder / f"{stamp}-{n}.json"
                if self._link(tmp, name, what):
                    return str(name.relative_to(self.root))
        finally:
            os.unlink(tmp)
        raise ArchiveWriteError(f"too many captures of {sha} at {stamp}")

    # --- reading and checking -------------------------------------------------------------

    def _state(self, target: Path, sha: str, size: int | None = None) -> str:
        try:
            if size is not None and target.stat().st_size != size:
                return "altered"
            return "ok" if _file_sha256(target) == sha else "altered"
        except (FileNotFoundError, NotADirectoryError):  # a file where a folder belongs
            return "missing"  # writing it then fails with an ArchiveWriteError naming the folder

    def check(self, sha: str) -> BodyCheck:
        """Whether body ``sha`` is in the archive and still hashes to its name."""
        target = self.path(sha)
        try:
            found = _file_sha256(target)
        except FileNotFoundError:
            return BodyCheck(sha, "missing")
        size = target.stat().st_size
        return BodyCheck(sha, "ok" if found == sha else "altered", found, size)

    def get(self, sha: str) -> bytes:
        """Read a body back, checking that it still hashes to its name."""
        try:
            body = self.path(sha).read_bytes()
        except FileNotFoundError:
            raise BodyUnavailable(
                sha, "missing", f"archived body {sha} is missing from {self.root}"
            ) from None
        if sha256_hex(body) != sha:
            raise BodyUnavailable(
                sha,
                "altered",
                f"archived body {sha} is corrupt: its file "
                f"hashes to {sha256_hex(body)}, not to its name",
            )
        return body

    def read_capture(self, rel: str) -> dict[str, Any]:
        """One capture record; ArchiveError when it is missing or unreadable."""
        path = self.root / rel
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ArchiveError(f"capture record {rel} is missing") from None
        except (OSError, ValueError) as exc:
            raise ArchiveError(f"capture record {rel} is unreadable: {exc}") from None
        if not isinstance(data, dict) or data.get("sha256") != Path(rel).parent.name:
            raise ArchiveError(f"capture record {rel} does not name the body of its folder")
        return data

    def captures(self, sha: str) -> list[dict[str, Any]]:
        folder = self._capture_dir(sha)
        if not folder.is_dir():
            return []
        return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]

    def _files(self, top: str) -> Iterator[Path]:
        base = self.root / top
        if base.is_dir():
            yield from sorted(p for p in base.rglob("*") if p.is_file())

    def scan(self) -> ArchiveScan:
        """Check every file in the archive: each body against its name, each capture record
        for being readable and naming its body; list leftovers and quarantined copies."""
        scan = ArchiveScan()
        for path in self._files("objects"):
            rel = str(path.relative_to(self.root))
            if path.name.startswith(_TEMP_PREFIX):
                scan.leftovers.append(rel)
                continue
            if not _SHA.fullmatch(path.name) or path.parent.name != path.name[:2]:
                scan.misnamed.append(rel)
                continue
            scan.objects += 1
            found = _file_sha256(path)
            if found == path.name:
                scan.intact.add(found)
            else:
                scan.altered.append(BodyCheck(path.name, "altered", found, path.stat().st_size))
        for path in self._files("captures"):
            rel = str(path.relative_to(self.root))
            if path.name.startswith(_TEMP_PREFIX):
                scan.leftovers.append(rel)
                continue
            try:
                self.read_capture(rel)
            except ArchiveError as exc:
                scan.bad_captures[rel] = str(exc)
                continue
            scan.captures[rel] = path.parent.name
        scan.quarantined = [str(p.relative_to(self.root)) for p in self._files("quarantine")]
        return scan
