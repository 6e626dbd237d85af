"""Tools of the hostile-input suite (tests/reliability/test_hostile_*.py): small PDFs built byte by
byte (so a truncated, encrypted, image-only or bomb PDF is a few lines, not a fixture file), and
a record of everything stored, to prove that a hostile document or answer lost or changed
nothing that was there before it.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from pathlib import Path

from sqlalchemy import select

# Tables whose rows a later read may legitimately update in place (health counters, the
# validators of the last answer, capture records that count sightings, the reading a listing
# page's rows were last brought in step with); every other row that
# existed before a hostile input must still exist, identical, afterwards.
MUTABLE = {"source_health", "http_validators", "captures", "listing_pages", "alembic_version"}
# figure_versions is rebuilt (DELETE + INSERT) for the months a parse touches: compared by the
# observation each version stands for, ids aside.
REBUILT = {"figure_versions": ("observation_id", ("id", "prev_id"))}


def _rows(session, table) -> dict:
    key_name, ignored = REBUILT.get(table.name, (None, ()))
    cols = [c for c in table.columns if c.name not in ignored]
    pk = [c.name for c in table.primary_key.columns] if key_name is None else [key_name]
    out = {}
    for row in session.execute(select(*cols)).mappings():
        out[tuple(row[k] for k in pk)] = dict(row)
    return out


def everything(session, archive) -> dict:
    """Every row of every table (by primary key) and every archived file (by its bytes' hash)."""
    from monitor.models import Base

    session.expire_all()
    session.flush()
    state = {
        t.name: _rows(session, t) for t in Base.metadata.sorted_tables if t.name not in MUTABLE
    }
    root = Path(archive.root)
    state["archive files"] = (
        {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file()
        }
        if root.exists()
        else {}
    )
    return state


# What a second genuine reading of a figure or a problem legitimately updates: which version
# of a figure is current, and an operator finding's latest sighting.
NEWER_READING = {
    "figure_versions": {
        "is_current",
        "previous_observation_id",
        "previous_value",
        "previous_report_id",
        "previous_snapshot_id",
    },
    "findings": {"summary", "evidence", "changed_at"},
}


def lost_or_changed(
    before: dict, after: dict, allowed: dict[str, set[str]] | None = None
) -> list[str]:
    """What existed before and is gone or different now (new rows are not counted), apart
    from the ``allowed`` columns of a table."""
    out = []
    allowed = allowed or {}
    for table, rows in before.items():
        for key, row in rows.items():
            now = after.get(table, {}).get(key)
            if now is None:
                out.append(f"{table} {key}: lost")
                continue
            if not isinstance(row, dict):  # an archived file: its bytes' hash
                if now != row:
                    out.append(f"{table} {key}: changed")
                continue
            diff = {
                k: (v, now.get(k))
                for k, v in row.items()
                if now.get(k) != v and k not in allowed.get(table, ())
            }
            if diff:
                out.append(f"{table} {key}: changed {diff}")
    return out


def added(before: dict, after: dict, table: str) -> list[dict]:
    return [row for key, row in after.get(table, {}).items() if key not in before.get(table, {})]


# --- PDFs built object by object -----------------------------------------------------------

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def pdf_file(objects: list[bytes], *, root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """A PDF whose objects are numbered from 1 in order, with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, root, trailer_extra, xref)
    )
    return out.getvalue()


def stream(data: bytes, *, flate: bool = True, extra: bytes = b"", ascii85: bool = False) -> bytes:
    body = zlib.compress(data, 9) if flate else data
    filt = b" /Filter /FlateDecode" if flate else b""
    if flate and ascii85:
        import base64

        body = base64.a85encode(body, wrapcol=72) + b"~>"
        filt = b" /Filter [/ASCII85Decode /FlateDecode]"
    return b"<< /Length %d%s %s>>\nstream\n" % (len(body), filt, extra) + body + b"\nendstream"


def text_ops(lines: list[str], size: int = 11) -> bytes:
    """Content-stream operators printing ``lines`` one under the other in Helvetica."""
    ops = [b"BT /F1 %d Tf 72 740 Td %d TL" % (size, size + 3)]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(b"(" + escaped.encode("latin-1") + b") Tj T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def pages_pdf(contents: list[bytes], *, shared: bool = False, ascii85: bool = False) -> bytes:
    """One page per content stream (``shared``: every page draws the first stream)."""
    objects: list[bytes | None] = [b"<< /Type /Catalog /Pages 2 0 R >>", None, FONT]
    streams = contents[:1] if shared else contents
    first_stream = len(objects) + 1
    objects += [stream(c, ascii85=ascii85) for c in streams]
    kids = []
    for i in range(len(contents)):
        kids.append(b"%d 0 R" % (len(objects) + 1))
        content = first_stream + (0 if shared else i)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % content
        )
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids))
    return pdf_file(objects)


def image_only_pdf() -> bytes:
    """A scan: one page that paints a grey raster image and prints no text at all."""
    pixels = bytes((x * 7 + y * 3) % 256 for y in range(64) for x in range(64))
    image = stream(
        pixels,
        extra=b"/Type /XObject /Subtype /Image /Width 64 /Height 64 "
        b"/ColorSpace /DeviceGray /BitsPerComponent 8 ",
    )
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
            stream(b"q 500 0 0 700 50 50 cm /Im1 Do Q"),
            image,
        ]
    )


def flate_bomb_pdf(text: list[str], inflated: int, *, ascii85: bool = False) -> bytes:
    """A one-page PDF whose content stream inflates to ``inflated`` bytes (mostly blanks after
    the text): a few KiB on the wire, megabytes once read. ``ascii85``: the deflate bytes are
    wrapped in ASCII85, as reportlab writes its streams (/Filter [/ASCII85Decode /FlateDecode])."""
    return pages_pdf([text_ops(text) + b"\n" + b" " * inflated], ascii85=ascii85)


def self_referencing_pdf() -> bytes:
    """A page tree whose only kid is itself."""
    return pdf_file(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]
    )


def encrypted_pdf(lines: list[str], *, user_password: str) -> bytes:
    """A reportlab PDF encrypted with ``user_password`` ("" = opens without a password, as
    many agency PDFs that only forbid copying do)."""
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    enc = StandardEncryption(
        user_password,
        ownerPassword="owner-secret",
        canPrint=1,
        canModify=0,
        canCopy=0,
        strength=128,
    )
    c = canvas.Canvas(buf, invariant=1, encrypt=enc)
    y = 740
    for line in lines:
        c.drawString(72, y, line)
        y -= 14
    c.showPage()
    c.save()
    return buf.getvalue()
