"""Bodies that are not documents, shared by the sniffer and junk-input tests: what a wrong link,
an analyst's misfiled download or a broken server hands over instead of a PDF report."""

from __future__ import annotations

import gzip
import io
import random
import zipfile

_RNG = random.Random(20221001)


def zip_of(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return buf.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _RNG.randbytes(300)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + _RNG.randbytes(300)
ZIP = zip_of("tables.csv")
XLSX = zip_of("[Content_Types].xml", "xl/workbook.xml")
GZIP = gzip.compress(b"%PDF-1.4 inside a gzip")
RANDOM = _RNG.randbytes(4000)
HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Family Unit Actions Report</title></head><body>"
    b"<h1>Sign in</h1><p>Log in to continue.</p></body></html>"
)
