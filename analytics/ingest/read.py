"""Uploaded bytes -> raw string tables, one per sheet, whatever the field sends.

Nothing is interpreted here beyond the shape of the table: every cell comes back as stripped text (or None),
with the row number the user sees, so that mapping and cleaning downstream can name the exact row.
The file type comes from the first bytes, never from the uploaded name, and the name is never used as a path.
A workbook is checked (size, compression ratio) before it is unpacked. A CSV is transcoded to UTF-8 and read
by DuckDB, but the delimiter and the header line are decided here, on a sample, because DuckDB's sniffer can
take a title line for the header.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import tempfile
import threading
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum

from analytics.ingest.problems import ImportProblem, Note

MAX_BYTES = 300 * 1024 * 1024
MAX_UNZIPPED_BYTES = 1024 * 1024 * 1024
MIN_INFLATE_RATIO = 0.01            # Apache POI's ZipSecureFile default
RATIO_CHECKED_ABOVE = 1024 * 1024   # small parts compress well and are harmless
SAMPLE_BYTES = 256 * 1024           # what delimiter/header detection looks at
HEADER_SEARCH_ROWS = 50
VALUE_SAMPLE_ROWS = 1000            # rows looked at for decimal commas
TOTALS_LOOKBACK = 5
# Stripped from every cell: the Unicode space separators (Zs: space, no-break and narrow no-break spaces...),
# exactly what DuckDB's one-argument trim() removes (fast), plus tab and line breaks.
SPACES = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
BLANKS = SPACES + "\t\r\n"
DELIMITERS = (";", ",", "\t", "|")

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
BINARY_SIGNATURES = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")


@dataclass
class RawSheet:
    """One table as read: header texts, string columns plus `_row`, and what was skipped on the way."""

    file: str
    sheet: str | None
    headers: list[str]
    table: pa.Table
    notes: list[Note] = field(default_factory=list)
    language: str | None = None
    decimal_comma: bool | None = None
    stated_date: dt.date | None = None  # the export date a title line states ("Généré le 23/11/2026"), if any
    digest: str = ""  # the SHA-256 of the whole file's bytes (store.content_hash): a file imported before is known


def read_file(name: str, data: bytes, max_rows: int = 2_000_000, max_columns: int = 200) -> list[RawSheet]:
    """Every table in the upload: one RawSheet per non-empty sheet, or one for a CSV.

    Raises ImportProblem (never anything else) when the file cannot give a table.
    """
    if len(data) > MAX_BYTES:
        raise ImportProblem("problem.too_large", name, detail=f"{_megabytes(len(data))} > {_megabytes(MAX_BYTES)}")
    if not data:
        raise ImportProblem("problem.empty_file", name)
    limits = (max_rows, max_columns)
    if data.startswith(ZIP_SIGNATURES):
        return _read_workbook(name, data, *limits)
    if data.startswith(OLE_SIGNATURE):
        # Office puts a password-protected xlsx in an OLE container with these two streams.
        if "Encrypt".encode("utf-16-le") in data:
            raise ImportProblem("problem.encrypted", name)
        raise ImportProblem("problem.legacy_xls", name)
    if data.startswith(BINARY_SIGNATURES):
        raise ImportProblem("problem.not_a_table", name)
    try:
        return [_read_text(name, data, *limits)]
    except ImportProblem:
        raise
    except Exception as error:  # noqa: BLE001 - the one error type promised to callers
        raise ImportProblem("problem.not_a_table", name, detail=_short(error)) from error


# ---------------------------------------------------------------- workbook

def _check_zip(name: str, data: bytes) -> str:
    """Refuse a zip bomb from the central directory alone, before anything is inflated; 'xlsx' or 'ods'."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except Exception as error:  # noqa: BLE001 - BadZipFile, but also NotImplementedError, struct.error...
        raise ImportProblem("problem.corrupt_xlsx", name, detail=f"not a valid zip archive: {_short(error)}") from error
    total = sum(part.file_size for part in parts)
    if total > MAX_UNZIPPED_BYTES:
        raise ImportProblem("problem.zip_bomb", name,
                            detail=f"{_megabytes(total)} unpacked > {_megabytes(MAX_UNZIPPED_BYTES)}")
    for part in parts:
        if part.file_size > RATIO_CHECKED_ABOVE and part.compress_size / part.file_size < MIN_INFLATE_RATIO:
            raise ImportProblem(
                "problem.zip_bomb", name,
                detail=f"{part.filename}: {_megabytes(part.file_size)} from {_megabytes(part.compress_size)}")
    names = {part.filename for part in parts}
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names and _ods_mimetype(data):
        return "ods"
    raise ImportProblem("problem.corrupt_xlsx", name, detail="no xl/workbook.xml: not an Excel workbook")


def _ods_mimetype(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read("mimetype").strip() == b"application/vnd.oasis.opendocument.spreadsheet"
    except Exception:  # noqa: BLE001 - no or damaged mimetype: not an OpenDocument spreadsheet
        return False


# One workbook is turned into a grid at a time in this process: the memory a read may take (MAX_CELLS) is then
# the process's bound too, whatever the number of sessions uploading at once.
_WORKBOOK_READS = threading.BoundedSemaphore(1)


def _read_workbook(name: str, data: bytes, max_rows: int, max_columns: int) -> list[RawSheet]:
    kind = _check_zip(name, data)
    _check_extents(name, data, kind)
    with _WORKBOOK_READS:
        return _read_checked_workbook(name, data, max_rows, max_columns)


def _read_checked_workbook(name: str, data: bytes, max_rows: int, max_columns: int) -> list[RawSheet]:
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [meta.name for meta in workbook.sheets_metadata if meta.typ == SheetTypeEnum.WorkSheet]
    except PasswordError as error:
        raise ImportProblem("problem.encrypted", name) from error
    except Exception as error:  # noqa: BLE001 - calamine raises several types
        raise ImportProblem("problem.corrupt_xlsx", name, detail=_short(error)) from error

    kept: list[RawSheet] = []
    skipped: list[Note] = []
    header_only: list[str] = []
    try:
        for sheet_name in sheets:
            try:
                sheet = workbook.get_sheet_by_name(sheet_name)
                rows = sheet.to_python(skip_empty_area=True)
                first_row = sheet.start[0] + 1 if sheet.start else 1
                kept.append(_sheet_table(name, sheet_name, rows, first_row, max_rows, max_columns))
            except _NoData as nothing:
                skipped.append(Note("note.sheet_skipped", name, sheet_name))
                if nothing.header_only:
                    header_only.append(sheet_name)
            except ImportProblem:
                raise
            except Exception as error:  # noqa: BLE001 - the one error type promised to callers
                raise ImportProblem("problem.corrupt_xlsx", name, sheet_name, detail=_short(error)) from error
    finally:
        workbook.close()
    if not kept:
        if header_only:
            raise ImportProblem("problem.header_only", name, header_only[0])
        raise ImportProblem("problem.empty_file", name)
    # A skipped sheet has no RawSheet of its own: its note travels with the first table read.
    kept[0].notes[:0] = skipped
    return kept


# ---------------------------------------------------------------- sheet extents (before any dense grid)
#
# calamine builds a dense grid from the top-left to the bottom-right cell a sheet uses: a 6 KB workbook with
# one cell in A1 and one in XFD1048576 asks for 16 384 x 1 048 576 cells (512 GB) and aborts the process.
# So the real cell references of every worksheet are scanned (streamed, never fully in memory) before calamine
# sees the file, and a sheet whose grid would exceed MAX_CELLS is refused, naming the far cell. The scan is
# cheap: after the first rows, a reference can only raise the extent if it is beyond the largest seen so far,
# and a regular expression built for "beyond" finds none in a well-formed sheet (C-speed, no Python per cell).

MAX_CELLS = 10_000_000       # one sheet's grid (e.g. 250 000 rows x 40 columns): about 2.5 GB at peak
SCAN_CHUNK = 4 * 1024 * 1024
# A literal prefix keeps the search in C: ' r="' starts a cell reference (letters follow) or a row number.
_ROW_ELEMENT = re.compile(rb" r=[\"'](\d{1,9})[\"']")
_CELL_REF = rb" r=[\"']"


def _greater_number(n: int) -> bytes:
    """A regex (bytes) matching a decimal number greater than n (no leading zeros)."""
    digits = str(n)
    parts = [rb"[1-9]\d{%d,}" % len(digits)]  # more digits
    for i, ch in enumerate(digits):
        d = int(ch)
        if d < 9:
            rest = len(digits) - i - 1
            parts.append(digits[:i].encode() + (b"[%d-9]" % (d + 1)) + (rb"\d{%d}" % rest if rest else b""))
    return b"(?:" + b"|".join(parts) + b")"


def column_index(letters: str) -> int:
    """1-based column number of 'A', 'Z', 'AA', 'XFD'."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _greater_column(n: int) -> bytes:
    """A regex (bytes) matching column letters beyond column n (n >= 1)."""
    letters = column_letters(n)
    parts = [rb"[A-Z]{%d,3}" % (len(letters) + 1)] if len(letters) < 3 else []
    for i, ch in enumerate(letters):
        if ch < "Z":
            rest = len(letters) - i - 1
            parts.append(letters[:i].encode() + b"[" + chr(ord(ch) + 1).encode() + b"-Z]"
                         + (rb"[A-Z]{%d}" % rest if rest else b""))
    return b"(?:" + b"|".join(parts) + b")" if parts else b"(?!)"


def sheet_extent(stream) -> tuple[int, int, str | None]:
    """(last row, last column, reference of the farthest cell) that a worksheet's XML stream uses."""
    max_row = max_col = 0
    far: str | None = None
    tail = b""
    while True:
        chunk = stream.read(SCAN_CHUNK)
        buffer = tail + chunk
        cut = buffer.rfind(b"<") if chunk else len(buffer)
        if cut <= 0 and chunk:
            tail = buffer
            continue
        part, tail = buffer[:cut], buffer[cut:]
        for m in _ROW_ELEMENT.finditer(part) if b"row" in part else ():
            max_row = max(max_row, int(m.group(1)))
        # Cells beyond the extent so far: by column, then by row (a few matches at most in a regular sheet).
        beyond = re.compile(_CELL_REF + rb"(" + _greater_column(max(max_col, 1)) + rb")(\d{1,9})[\"']")
        for m in beyond.finditer(part):
            col = column_index(m.group(1).decode())
            if col > max_col:
                max_col, far = col, m.group(1).decode() + m.group(2).decode()
            max_row = max(max_row, int(m.group(2)))
        if max_col == 0 and re.search(_CELL_REF + rb"A\d", part):
            max_col = 1
        beyond = re.compile(_CELL_REF + rb"([A-Z]{1,3})(" + _greater_number(max_row) + rb")[\"']")
        for m in beyond.finditer(part):
            row = int(m.group(2))
            if row > max_row:
                max_row, far = row, m.group(1).decode() + m.group(2).decode()
        if not chunk:
            break
    return max_row, max_col, far


def _worksheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(sheet name, part path) of an xlsx's worksheets, from workbook.xml and its relationships."""
    from defusedxml import ElementTree

    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # noqa: BLE001 - calamine will say what is wrong; scan every worksheet part instead
        return [(info.filename, info.filename) for info in archive.infolist()
                if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")]
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    out = []
    for sheet in book.iter():
        if sheet.tag.endswith("}sheet"):
            rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
            target = targets.get(rid, "")
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            out.append((sheet.get("name") or path, path))
    return out


def _check_extents(name: str, data: bytes, kind: str) -> None:
    """Refuse a sheet whose grid (first row and column to its farthest cell) exceeds MAX_CELLS."""
    try:
        extents = _extents(data, kind)
    except Exception as error:  # noqa: BLE001 - a damaged part: the one error type promised to callers
        raise ImportProblem("problem.corrupt_xlsx", name, detail=_short(error)) from error
    for sheet_name, rows, cols, far in extents:
        if rows * cols > MAX_CELLS:
            raise ImportProblem("problem.far_cell", name, sheet_name, cell=far or "?",
                                count=f"{rows:,}".replace(",", " "), width=f"{cols:,}".replace(",", " "),
                                limit=f"{MAX_CELLS:,}".replace(",", " "))


def _extents(data: bytes, kind: str) -> list[tuple[str, int, int, str | None]]:
    """(sheet, last row, last column, farthest cell) of every sheet of an xlsx or ods."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if kind == "ods":
            return _ods_extents(archive)
        extents = []
        available = set(archive.namelist())
        for sheet_name, path in _worksheet_parts(archive):
            if path in available:
                with archive.open(path) as stream:
                    extents.append((sheet_name, *sheet_extent(stream)))
        return extents


_ODS_TAG = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*?)(/?)>")
_ODS_REPEAT = re.compile(rb'number-(?:rows|columns)-repeated="(\d{1,9})"')


def _ods_extents(archive: zipfile.ZipFile) -> list[tuple[str, int, int, str | None]]:
    """Per sheet of an OpenDocument spreadsheet: (name, last row, last column, farthest cell) holding content.

    ODS has no cell references: rows and cells carry repeat counts ("this empty row 1 048 000 times" ends
    every sheet LibreOffice saves). A cell with content (an element that is not self-closing) repeated far
    makes the grid as large as an xlsx far cell does, so the repeats are added up, content only."""
    out: list[tuple[str, int, int, str | None]] = []
    sheet = None
    row = col = row_repeat = 0
    row_used = False
    max_row = max_col = 0
    with archive.open("content.xml") as stream:
        tail = b""
        while True:
            chunk = stream.read(SCAN_CHUNK)
            buffer = tail + chunk
            cut = buffer.rfind(b"<") if chunk else len(buffer)
            part, tail = buffer[:cut], buffer[cut:]
            for m in _ODS_TAG.finditer(part):
                closing, tag, attrs, empty = m.groups()
                if tag == b"table":
                    if closing:
                        if sheet is not None:
                            out.append((sheet, max_row, max_col, f"{column_letters(max(max_col, 1))}{max_row}"))
                        sheet = None
                    else:
                        found = re.search(rb'table:name="([^"]*)"', attrs)
                        sheet = found.group(1).decode("utf-8", "replace") if found else "?"
                        row = max_row = max_col = 0
                    continue
                repeat = _ODS_REPEAT.search(attrs)
                count = int(repeat.group(1)) if repeat else 1
                if tag == b"table-row":
                    if closing:
                        if row_used:
                            max_row = row + row_repeat
                        row += row_repeat
                    else:
                        row_repeat, col, row_used = count, 0, False
                        if empty:  # <table:table-row/>: a row with no cell at all
                            row += count
                else:
                    if not closing:
                        if not empty:
                            row_used = True
                            max_col = max(max_col, col + count)
                        col += count
            if not chunk:
                break
    return out


def _sheet_table(name, sheet_name, rows, first_row, max_rows, max_columns) -> RawSheet:
    if not rows:
        raise _NoData(header_only=False)
    top = [[_cell_text(v) for v in row] for row in rows[:HEADER_SEARCH_ROWS]]
    header_at = _find_header(top)
    if header_at is None:
        raise _NoData(header_only=False)
    header = top[header_at]
    if sum(1 for cell in header if cell) > max_columns:
        raise ImportProblem("problem.too_many_columns", name, sheet_name,
                            count=sum(1 for cell in header if cell), limit=max_columns)
    body = rows[header_at + 1:]
    columns = [_column_texts(values) for values in zip(*body)] if body else [pa.array([], pa.string())] * len(header)
    table = pa.Table.from_arrays(columns, names=[f"c{i}" for i in range(len(columns))])
    row_numbers = np.arange(len(body), dtype=np.int64) + first_row + header_at + 1
    titles = [first_row + i for i, cells in enumerate(top[:header_at]) if any(cells)]
    texts = [v for row in body[:VALUE_SAMPLE_ROWS] for v in row if isinstance(v, str)]
    sheet = _finish(name, sheet_name, header, table, row_numbers, titles, [], max_rows, max_columns,
                    value_sample=texts, delimiter=None, notes=[])
    sheet.stated_date = stated_date(top[:header_at])
    return sheet


def _column_texts(values: tuple) -> pa.Array:
    """One column's cells as text (see _cell_text), with fast paths for the usual one-type columns."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        texts = [v.strip(BLANKS) or None for v in values]
    elif kinds <= {str, float}:
        texts = [(v.strip(BLANKS) or None) if v.__class__ is str
                 else str(int(v)) if v.is_integer()
                 else text if "e" not in (text := repr(v)) else _cell_text(v)
                 for v in values]
    elif kinds <= {str, dt.date}:
        texts = [v.isoformat() if v.__class__ is dt.date else (v.strip(BLANKS) or None) for v in values]
    elif kinds <= {str, dt.datetime} and not any(v.strip(BLANKS) for v in values if v.__class__ is str):
        return _datetime_texts(values)
    else:
        texts = [(v.strip(BLANKS) or None) if v.__class__ is str else _cell_text(v) for v in values]
    return pa.array(texts, type=pa.string())


def _datetime_texts(values: tuple) -> pa.Array:
    """A datetime column (blanks allowed) as _cell_text writes it, in Arrow rather than cell by cell."""
    # Type inference is many times faster than pa.array(..., type=pa.timestamp("us")) here (pyarrow 26).
    stamps = pa.array([v if v.__class__ is dt.datetime else None for v in values]).cast(pa.timestamp("us"))
    stamps = pc.round_temporal(stamps, unit="second").cast(pa.timestamp("s"))   # 10:29:59.9999 -> 10:30:00
    days = stamps.cast(pa.date32())
    midnight = pc.equal(days.cast(pa.timestamp("s")), stamps)
    return pc.if_else(midnight, days.cast(pa.string()), stamps.cast(pa.string()))


def _cell_text(value) -> str | None:
    """A cell as text: integral floats without '.0', dates in ISO, booleans as true/false."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip(BLANKS) or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        if value.is_integer():
            return str(int(value))
        text = repr(value)
        return np.format_float_positional(value, trim="-") if "e" in text else text
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        # Excel stores times as fractions of a day: 10:30 may come back as 10:29:59.9999.
        value = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.replace(microsecond=0).isoformat()
    return str(value).strip(BLANKS) or None


class _NoData(Exception):
    def __init__(self, header_only: bool):
        super().__init__("no data")
        self.header_only = header_only


# ---------------------------------------------------------------- text / CSV

def _read_text(name: str, data: bytes, max_rows: int, max_columns: int, cp1252: bool = False) -> RawSheet:
    utf8, encoding, verified = _to_utf8(name, data, cp1252)
    notes: list[Note] = []
    if encoding != "UTF-8":
        notes.append(Note("note.encoding", name, params={"encoding": encoding}))
    if not utf8[:SAMPLE_BYTES].decode("utf-8", "ignore").strip(BLANKS) and not utf8.decode("utf-8").strip(BLANKS):
        raise ImportProblem("problem.empty_file", name)

    sample_text, complete = _sample(utf8)
    delimiter, hint_line = _choose_delimiter(sample_text)
    records = _parse(sample_text, delimiter, complete)
    if hint_line:
        records = records[1:]
    rows = [[(c.strip(BLANKS) or None) for c in cells] for cells, _, _ in records]
    header_at = _find_header(rows[:HEADER_SEARCH_ROWS + hint_line])
    if header_at is None:
        raise ImportProblem("problem.empty_file", name)
    header = rows[header_at]
    named = sum(1 for cell in header if cell)
    if named > max_columns:
        raise ImportProblem("problem.too_many_columns", name, count=named, limit=max_columns)
    width = max(len(cells) for cells in rows[header_at:])
    header = header + [None] * (width - len(header))
    _, header_line, header_end = records[header_at]          # 0-based physical lines
    titles = [records[i][1] + 1 for i in range(header_at) if any(rows[i])]
    if hint_line:
        titles.insert(0, 1)

    read = _read_with_duckdb(utf8, delimiter, header, header_line, header_end)
    if read is None and not verified and not _is_utf8(utf8):
        return _read_text(name, data, max_rows, max_columns, cp1252=True)   # bad UTF-8 past the sample
    if read is None:
        # Quoted line breaks, ragged rows or anything DuckDB reads differently: the slow, exact way.
        read = _read_with_python(utf8, delimiter, width, header_at + hint_line)
    table, row_numbers, blank_rows = read
    value_sample = [v for column in table.slice(0, VALUE_SAMPLE_ROWS).columns for v in column.to_pylist() if v]
    sheet = _finish(name, None, header, table, row_numbers, titles, blank_rows, max_rows, max_columns,
                    value_sample=value_sample, delimiter=delimiter, notes=notes)
    sheet.stated_date = stated_date(rows[:header_at])
    return sheet


def _to_utf8(name: str, data: bytes, cp1252: bool = False) -> tuple[bytes, str, bool]:
    """The text as UTF-8 bytes without BOM, the encoding found (UTF-8, UTF-16, Windows-1252), and whether
    the bytes were checked as UTF-8 to the end.

    Undeclared UTF-8 is checked on the sample only: DuckDB checks the rest while reading (it refuses invalid
    UTF-8), which saves decoding a large file twice; the caller retries as cp1252 when DuckDB refuses.
    """
    text: str | None = None
    verified = True
    if cp1252:
        text, encoding = data.decode("cp1252", errors="replace"), "Windows-1252"
    elif data.startswith(b"\xef\xbb\xbf") and _is_utf8(data[3:SAMPLE_BYTES], final=len(data) <= SAMPLE_BYTES):
        utf8, encoding, verified = data[3:], "UTF-8", False
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _decode(name, data[2:], "utf-16-le" if data[:2] == b"\xff\xfe" else "utf-16-be")
        utf8, encoding = None, "UTF-16"
    elif b"\x00" in data:
        head = data[:4096]
        half = max(len(head) // 2, 1)
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > 0.3 * half and even < 0.05 * half:
            text = _decode(name, data, "utf-16-le")
        elif even > 0.3 * half and odd < 0.05 * half:
            text = _decode(name, data, "utf-16-be")
        else:
            raise ImportProblem("problem.not_a_table", name)
        utf8, encoding = None, "UTF-16"
    elif data.isascii():
        utf8, encoding = data, "UTF-8"
    elif _is_utf8(data[:SAMPLE_BYTES], final=len(data) <= SAMPLE_BYTES):
        utf8, encoding, verified = data, "UTF-8", len(data) <= SAMPLE_BYTES
    else:
        # cp1252, not latin-1: the euro sign is 0x80. Its five unassigned bytes become U+FFFD.
        text, encoding = data.decode("cp1252", errors="replace"), "Windows-1252"
    if text is not None:
        if "\x00" in text:
            raise ImportProblem("problem.not_a_table", name)
        utf8 = text.encode("utf-8")
        if utf8.startswith(b"\xef\xbb\xbf"):
            utf8 = utf8[3:]
    head_text = utf8[:SAMPLE_BYTES].decode("utf-8", "ignore")
    if head_text:
        bad = len(_GARBAGE.findall(head_text))
        if bad > 0.01 * len(head_text):
            raise ImportProblem("problem.not_a_table", name)
    return utf8, encoding, verified


def _is_utf8(raw: bytes, final: bool = True) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(raw, final=final)   # a cut last character is fine
        return True
    except UnicodeDecodeError:
        return False


_GARBAGE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def _decode(name: str, raw: bytes, codec: str) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as error:
        raise ImportProblem("problem.not_a_table", name, detail=f"{codec}: {_short(error)}") from error


def _sample(utf8: bytes) -> tuple[str, bool]:
    """The first lines of the file as text, cut at a line end; True when that is the whole file."""
    if len(utf8) <= SAMPLE_BYTES:
        return utf8.decode("utf-8"), True
    cut = utf8.rfind(b"\n", 0, SAMPLE_BYTES)
    cut = SAMPLE_BYTES if cut <= 0 else cut + 1
    return utf8[:cut].decode("utf-8", "ignore"), False


_SEP_HINT = re.compile(r'^"?sep=(.)"?\s*$', re.IGNORECASE)


def _choose_delimiter(sample: str) -> tuple[str, int]:
    """The delimiter giving the same number of fields (>= 2) on most of the first lines; 1 if a `sep=` line says so."""
    first = sample.split("\n", 1)[0].rstrip("\r")
    hint = _SEP_HINT.match(first)
    if hint:
        return hint.group(1), 1
    lines = [line for line in sample.splitlines()[:HEADER_SEARCH_ROWS * 2] if line.strip(BLANKS)]
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delimiter, quotechar='"')][:HEADER_SEARCH_ROWS]
        except csv.Error:
            continue
        if not counts:
            continue
        modal, _ = max(Counter(counts).items(), key=lambda item: (item[1], item[0]))
        if modal < 2:
            continue
        score = (sum(1 for c in counts if c == modal), modal)
        if score > best_score:
            best, best_score = delimiter, score
    return best, 0


def _parse(text: str, delimiter: str, complete: bool) -> list[tuple[list[str], int, int]]:
    """Records of the sample: (cells, first physical line, line after it), 0-based."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    records, line = [], 0
    try:
        for cells in reader:
            records.append((cells, line, reader.line_num))
            line = reader.line_num
    except csv.Error:
        pass  # a cut inside a quoted field at the end of the sample
    if not complete and len(records) > 1:
        records.pop()  # may be cut in the middle
    return records


def _read_with_duckdb(utf8: bytes, delimiter: str, header: list, header_line: int, header_end: int):
    """(table of data rows, their line numbers, blank line numbers), or None when DuckDB disagrees with us."""
    width = len(header)
    names = [f"c{i}" for i in range(width)]
    with tempfile.TemporaryDirectory(prefix="cockpit-read-") as folder:
        path = Path(folder) / "upload.csv"   # never the uploaded name
        path.write_bytes(utf8)
        con = duckdb.connect(":memory:")
        try:
            relation = con.read_csv(
                str(path), delimiter=delimiter, quotechar='"', escapechar='"', header=False,
                skiprows=header_line, columns={n: "VARCHAR" for n in names}, auto_detect=False,
                null_padding=True, strict_mode=True,
            )
            F, C, K = duckdb.FunctionExpression, duckdb.ColumnExpression, duckdb.ConstantExpression
            # trim() with a character list is several times slower than plain trim(), which strips the
            # space separators: pay for the list only when a tab may sit at the edge of a value.
            # (No value holds a line break here: those files fail the line count below.)
            tabs = delimiter != "\t" and b"\t" in utf8
            stripped = [F("nullif", F("trim", C(n), K(BLANKS)) if tabs else F("trim", C(n)), K("")).alias(n)
                        for n in names]
            table = relation.select(*stripped).to_arrow_table()
        except duckdb.Error:
            return None
        finally:
            con.close()
    if table.num_rows == 0 or [table.column(i)[0].as_py() for i in range(width)] != header:
        return None
    table = table.slice(1)

    # DuckDB skips blank lines silently: find every line start to give each row its line number.
    raw = np.frombuffer(utf8, dtype=np.uint8)
    line_ends = np.flatnonzero(raw == 10)
    starts = np.concatenate(([0], line_ends + 1))
    ends = np.concatenate((line_ends, [len(raw)]))
    if starts[-1] >= len(raw):
        starts, ends = starts[:-1], ends[:-1]
    lengths = ends - starts
    first_bytes = raw[np.minimum(starts, len(raw) - 1)]
    blank = (lengths == 0) | ((lengths == 1) & (first_bytes == 13))
    after = blank[header_end:]
    row_numbers = np.flatnonzero(~after).astype(np.int64) + header_end + 1
    if len(row_numbers) != table.num_rows:
        return None  # a quoted field spans lines: line numbers are not row numbers
    blank_rows = np.flatnonzero(after) + header_end + 1
    return table, row_numbers, blank_rows.tolist()


def _read_with_python(utf8: bytes, delimiter: str, width: int, header_record: int):
    """The csv module over the whole text; `_row` counts records as Excel shows them (blank lines included)."""
    text = utf8.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    rows = []
    for index, cells in enumerate(reader):
        if index > header_record:
            rows.append(cells)
    width = max([width] + [len(cells) for cells in rows])
    columns = [[] for _ in range(width)]
    for cells in rows:
        cells = cells + [""] * (width - len(cells))
        for i, value in enumerate(cells):
            columns[i].append(value.strip(BLANKS) or None)
    table = pa.Table.from_arrays([pa.array(c, type=pa.string()) for c in columns],
                                 names=[f"c{i}" for i in range(width)])
    row_numbers = np.arange(len(rows), dtype=np.int64) + header_record + 2
    return table, row_numbers, []


# ---------------------------------------------------------------- common to sheets and CSV

def _finish(name, sheet, header, table, row_numbers, titles, blank_rows, max_rows, max_columns, *,
            value_sample, delimiter, notes) -> RawSheet:
    """Drop empty and totals rows and unnamed empty columns, check the caps, name the columns, add `_row`."""
    header = list(header) + [None] * (table.num_columns - len(header))
    if titles:
        notes.append(Note("note.title_lines", name, sheet, rows=titles[:10], params={"count": len(titles)}))

    # Fully empty rows; only those above the last row with data count as skipped (not the file's trailing lines).
    if table.num_columns and table.num_rows and min(c.null_count for c in table.columns) > 0:
        filled = pc.is_valid(table.column(0))
        for column in table.columns[1:]:
            filled = pc.or_(filled, pc.is_valid(column))
        filled_np = filled.to_numpy(zero_copy_only=False)
    else:   # a column without a single null: no row is empty
        filled_np = np.full(table.num_rows, table.num_columns > 0)
    last = int(row_numbers[filled_np][-1]) if filled_np.any() else 0
    empty = [int(r) for r in row_numbers[~filled_np] if r < last] + [r for r in blank_rows if r < last]
    if not filled_np.all():
        table, row_numbers = table.filter(pa.array(filled_np)), row_numbers[filled_np]

    totals = _totals_rows(table)
    if totals:
        notes.append(Note("note.totals_dropped", name, sheet, rows=[int(r) for r in row_numbers[-totals:]][:10]))
        table, row_numbers = table.slice(0, table.num_rows - totals), row_numbers[:-totals]
    if empty:
        empty.sort()
        notes.append(Note("note.rows_skipped", name, sheet, rows=empty[:10], params={"count": len(empty)}))

    if table.num_rows == 0:
        if sheet is not None:
            raise _NoData(header_only=True)
        raise ImportProblem("problem.header_only", name)
    if table.num_rows > max_rows:
        raise ImportProblem("problem.too_many_rows", name, sheet, count=table.num_rows, limit=max_rows)

    names = _header_names(header)
    keep = [i for i in range(table.num_columns) if header[i] or table.column(i).null_count < table.num_rows]
    if len(keep) > max_columns:
        raise ImportProblem("problem.too_many_columns", name, sheet, count=len(keep), limit=max_columns)
    headers = [names[i] for i in keep]
    arrays = [table.column(i) for i in keep] + [pa.array(row_numbers, type=pa.int64())]
    result = pa.Table.from_arrays(arrays, names=headers + ["_row"])

    decimal_comma = _decimal_comma(value_sample)
    return RawSheet(name, sheet, headers, result, notes, _language(headers, decimal_comma, delimiter), decimal_comma)


# A UTF-8 byte order mark read as Windows-1252 and saved again ("ï»¿"), or kept as a character: not a header's.
_BOM_DEBRIS = ("\u00ef\u00bb\u00bf", "\ufeff")


def _header_names(cells: list[str | None]) -> list[str]:
    """Blank -> column_<n> (n = position); repeated (case-insensitive, as DuckDB) -> 'Name (2)'."""
    names, seen = [], {"_row"}
    for position, cell in enumerate(cells, start=1):
        while cell and cell.startswith(_BOM_DEBRIS):
            cell = cell[1 if cell.startswith("\ufeff") else 3:].strip(BLANKS) or None
        base = cell or f"column_{position}"
        candidate, k = base, 2
        while candidate.casefold() in seen:
            candidate, k = f"{base} ({k})", k + 1
        seen.add(candidate.casefold())
        names.append(candidate)
    return names


_NUMBER_LIKE = re.compile(r"^[-+(]?\s*(?:[€$£]\s*)?\d[\d\s\u00a0\u202f\u2009.,']*\s*(?:€|\$|£|%|EUR|USD|k€)?\)?$",
                          re.IGNORECASE)
_DATE_LIKE = re.compile(r"^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}")


def _looks_numeric(cell: str) -> bool:
    return bool(_NUMBER_LIKE.match(cell))


def _find_header(rows: list[list[str | None]]) -> int | None:
    """Index of the header: the first row filling more than half the widest row, with mostly non-numeric text.

    Falls back to the first row filling that much when no row looks like text (a file without header).
    """
    filled = [sum(1 for c in cells if c) for cells in rows]
    widest = max(filled, default=0)
    if widest == 0:
        return None
    wide_enough = [i for i, n in enumerate(filled) if n > widest / 2]
    for i in wide_enough:
        cells = [c for c in rows[i] if c]
        numeric = sum(1 for c in cells if _looks_numeric(c) or _DATE_LIKE.match(c))
        if numeric * 2 < len(cells):
            return i
    return wide_enough[0]


_TOTAL_LABEL = re.compile(r"^(?:grand total|total g[ée]n[ée]ral|sous-total|totaux|total|somme|sum)\b", re.IGNORECASE)


def _totals_rows(table: pa.Table) -> int:
    """How many rows at the end are totals: a 'Total…' label with numbers, or numbers under an empty id column."""
    if table.num_rows == 0 or table.num_columns == 0:
        return 0
    ids_given = table.num_rows - table.column(0).null_count >= 2
    tail = table.slice(max(table.num_rows - TOTALS_LOOKBACK, 0)).to_pylist()
    count = 0
    for record in reversed(tail):
        cells = list(record.values())
        filled = [c for c in cells if c]
        if not filled:
            break
        labelled = bool(_TOTAL_LABEL.match(filled[0])) and all(_looks_numeric(c) for c in filled[1:])
        unlabelled = ids_given and cells[0] is None and all(_looks_numeric(c) for c in filled)
        if not (labelled or unlabelled):
            break
        count += 1
    return count


_DECIMAL = re.compile(r"^[-+]?\s*(?:[€$£]\s*)?(\d[\d\s\u00a0\u202f\u2009.,]*)\s*(?:€|\$|£|%|EUR|USD)?$", re.IGNORECASE)


def _decimal_mark(cell: str) -> str | None:
    """',' or '.' when the cell is a number whose decimal separator is certain; None otherwise ('1,250', '12')."""
    match = _DECIMAL.match(cell)
    if not match:
        return None
    core = re.sub(r"[\s\u00a0\u202f\u2009]", "", match.group(1))
    if "," in core and "." in core:
        return "," if core.rfind(",") > core.rfind(".") else "."
    for mark in (",", "."):
        parts = core.split(mark)
        if len(parts) == 2 and parts[0] and parts[1]:
            whole, fraction = parts
            spaced = bool(re.search(r"\d[\s\u00a0\u202f\u2009]\d{3}", match.group(1)))
            if len(fraction) != 3 or whole == "0" or spaced:
                return mark
    return None


def _decimal_comma(values: list[str]) -> bool | None:
    marks = Counter(_decimal_mark(v) for v in values)
    if marks[","] and not marks["."]:
        return True
    if marks["."] and not marks[","]:
        return False
    return None


_FRENCH_WORDS = {
    "montant", "clôture", "cloture", "étape", "etape", "propriétaire", "proprietaire", "commercial", "société",
    "societe", "nom", "compte", "probabilité", "probabilite", "opportunité", "opportunite", "affaire", "création",
    "creation", "secteur", "statut", "identifiant", "prévue", "prevue", "chiffre", "devise", "responsable", "objectif",
    "période", "periode", "mois", "trimestre", "dépense", "depense", "canal", "pays", "ville", "entreprise",
    "de", "du", "des", "le", "la", "prénom", "prenom", "activité", "activite", "vendeur", "taille", "raison",
}
_ENGLISH_WORDS = {
    "amount", "close", "closed", "stage", "owner", "account", "name", "probability", "opportunity", "deal", "created",
    "industry", "status", "customer", "expected", "revenue", "currency", "target", "period", "month", "quarter",
    "spend", "channel", "country", "city", "company", "value", "of", "the", "first", "last", "activity", "size",
    "rep", "lead", "won", "lost",
}


def _language(headers: list[str], decimal_comma: bool | None, delimiter: str | None) -> str | None:
    """'fr' or 'en' from the header words (and accents), decimal commas and ';' delimiter; None when unsure."""
    french = english = 0
    for header in headers:
        words = re.findall(r"[^\W\d_]+", header.casefold())
        french += 2 * sum(w in _FRENCH_WORDS for w in words) + (1 if re.search("[éèêàâçôûîù]", header.casefold()) else 0)
        english += 2 * sum(w in _ENGLISH_WORDS for w in words)
    if decimal_comma is True:
        french += 1
    elif decimal_comma is False:
        english += 1
    if delimiter == ";":
        french += 1
    if french > english:
        return "fr"
    if english > french:
        return "en"
    return None


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size < 10 * 1024 * 1024 else f"{size // (1024 * 1024)} MB"


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]


_STATED_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b|\b(\d{4})-(\d{2})-(\d{2})\b")


def stated_date(title_rows: list[list]) -> dt.date | None:
    """The first date written in the lines above the header (an export's "Généré le 23/11/2026"): day first
    unless the second number can only be a day. None when no title line holds a valid date."""
    for cells in title_rows:
        for cell in cells:
            if isinstance(cell, dt.datetime):
                return cell.date()
            if isinstance(cell, dt.date):
                return cell
            for m in _STATED_DATE.finditer(str(cell or "")):
                if m.group(4):
                    y, mo, d = int(m.group(4)), int(m.group(5)), int(m.group(6))
                else:
                    d, mo, y = int(m.group(1)), int(m.group(2)), int(m.group(3))
                    if mo > 12 >= d:
                        d, mo = mo, d
                try:
                    return dt.date(y, mo, d)
                except ValueError:
                    continue
    return None
