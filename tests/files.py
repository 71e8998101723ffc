"""Builders of the files the tests import: CSV in any encoding and dialect, xlsx with several sheets.

Every file the tests use is made here, in code, so that nothing binary is committed.
"""
from __future__ import annotations

import io
from typing import Sequence

from openpyxl import Workbook


def csv_bytes(rows: Sequence[Sequence[object]], delimiter: str = ",", encoding: str = "utf-8",
              title_lines: Sequence[str] = (), footer: Sequence[Sequence[object]] = ()) -> bytes:
    """rows[0] is the header. Fields holding the delimiter or a quote are quoted as Excel does."""
    def field(value) -> str:
        text = "" if value is None else str(value)
        if delimiter in text or '"' in text or "\n" in text:
            text = '"' + text.replace('"', '""') + '"'
        return text

    lines = list(title_lines) + [delimiter.join(field(v) for v in row) for row in [*rows, *footer]]
    text = "\r\n".join(lines) + "\r\n"
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if encoding == "utf-16":
        return text.encode("utf-16")  # with BOM, as Excel's "Unicode text"
    return text.encode(encoding)


def xlsx_bytes(sheets: dict[str, Sequence[Sequence[object]]]) -> bytes:
    """One sheet per item; each a list of rows written as is (numbers, dates and text keep their Excel type)."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
