"""Uploaded bytes -> raw string tables, one per sheet, whatever the field sends.

Nothing is interpreted here beyond the shape of the table: every cell comes back as stripped text (or None),
with the row number the user sees, so that mapping and cleaning downstream can name the exact row.
The file type comes from the first bytes, never from the uploaded name, and the name is never used as a path.
A workbook is checked (size, compression ratio) before it is unpacked, then read in a child process whose memory
is capped (analytics.ingest.sandbox), after the guard has counted what the reader would build
(analytics.ingest.extent). A CSV is transcoded to UTF-8 (line by line where a UTF-8 file holds Windows-1252
lines) and read by DuckDB, but the delimiter and the header line are decided here, on a sample, because DuckDB's
sniffer can take a title line for the header.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import re
import shutil
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

from analytics.ingest import extent
from analytics.ingest.extent import MAX_CELLS, MAX_TEXT_BYTES, TooManyElements, ods_extents, xlsx_extents
from analytics.ingest import sandbox
from analytics.ingest.problems import ImportProblem, Note

MAX_BYTES = 300 * 1024 * 1024
# The import page's cap, checked by our code so that the refusal is said in the user's language: Streamlit's
# own (server.maxUploadSize in .streamlit/config.toml) is set above it, and says it in English.
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
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


def check_upload(name: str, size: int) -> None:
    """Refuse an upload larger than MAX_UPLOAD_BYTES before its bytes are read (ImportProblem naming the file).

    The uploader itself accepts every type and every size up to Streamlit's higher cap: the type is then found
    from the bytes (a legacy .xls gets "save it as .xlsx"), and every refusal is ours, in the user's language."""
    if size > MAX_UPLOAD_BYTES:
        raise ImportProblem("problem.too_large", name,
                            detail=f"{_megabytes(size)} > {_megabytes(MAX_UPLOAD_BYTES)}")


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


# One workbook is read at a time: the memory reads take (one child's READ_MEMORY_BYTES) is then the machine's
# bound too, whatever the number of sessions uploading at once.
_WORKBOOK_READS = threading.BoundedSemaphore(1)


def _read_workbook(name: str, data: bytes, max_rows: int, max_columns: int) -> list[RawSheet]:
    """The zip's directory is checked here (nothing is inflated); the guard and the reader run in a child process
    whose memory is capped (analytics.ingest.sandbox), so that no workbook can take this process down."""
    kind = _check_zip(name, data)
    with _WORKBOOK_READS:
        return sandbox.run(name, read_untrusted_workbook, name, data, kind, max_rows, max_columns)


def warm_up() -> None:
    """One tiny sheet through the table building, so that what it imports on first use is imported."""
    _sheet_table("warm-up", "S", [["ID", "Montant", "Date"], ["A", 1.5, dt.datetime(2026, 1, 1)]], 1, 10, 10)


def read_untrusted_workbook(name: str, data: bytes, kind: str, max_rows: int, max_columns: int) -> list[RawSheet]:
    """What the child process does: count what the reader would build, refuse above the bounds, else read."""
    _check_extents(name, data, kind)
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


# ---------------------------------------------------------------- what the reader will build (analytics.ingest.extent)

def _check_extents(name: str, data: bytes, kind: str) -> None:
    """Refuse a sheet whose grid (A1 to its farthest cell) exceeds MAX_CELLS, or a workbook whose cells would
    hold more than MAX_TEXT_BYTES of text once read (shared strings counted once per referencing cell)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            found = ods_extents(archive) if kind == "ods" else xlsx_extents(archive)
    except TooManyElements as error:
        raise ImportProblem("problem.too_many_elements", name, error.sheet,
                            limit=_thousands(extent.MAX_ELEMENTS)) from error
    except Exception as error:  # noqa: BLE001 - a damaged part, a DTD: the one error type promised to callers
        raise ImportProblem("problem.corrupt_xlsx", name, detail=_short(error)) from error
    limit = _megabytes(MAX_TEXT_BYTES)
    if found.strings > MAX_CELLS or found.strings_bytes > MAX_TEXT_BYTES:
        raise ImportProblem("problem.too_much_text", name, limit=limit)
    text = found.strings_bytes
    for sheet_name, grid in found.sheets:
        if grid.cells > MAX_CELLS:
            raise ImportProblem("problem.far_cell", name, sheet_name, cell=grid.far or "?",
                                count=_thousands(grid.rows), width=_thousands(grid.cols),
                                limit=_thousands(MAX_CELLS))
        text += grid.text
        if text > MAX_TEXT_BYTES:
            raise ImportProblem("problem.too_much_text", name, sheet_name, limit=limit)


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


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

def _read_text(name: str, data: bytes, max_rows: int, max_columns: int, repair: bool = False) -> RawSheet:
    notes: list[Note] = []
    utf8, encoding, verified, lines = _to_utf8(name, data, repair)
    if lines and encoding == "UTF-8":
        notes.append(Note("note.lines_cp1252", name, rows=lines[:10], params={"count": len(lines)}))
    if encoding != "UTF-8":
        notes.append(Note("note.encoding", name, params={"encoding": encoding}))
    if not utf8[:SAMPLE_BYTES].decode("utf-8", "ignore").strip(BLANKS) and not utf8.decode("utf-8").strip(BLANKS):
        raise ImportProblem("problem.empty_file", name)

    sample_text, complete = _sample(utf8)
    if not complete and "\n" not in sample_text and "\r" not in sample_text:
        # One line of 256 KB and more: no table (an earlier version said "empty" as it found no whole line).
        raise ImportProblem("problem.line_too_long", name, rows=[1], limit=_kilobytes(SAMPLE_BYTES))
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
        return _read_text(name, data, max_rows, max_columns, repair=True)   # bad UTF-8 past the sample
    if read is None:
        # Quoted line breaks, ragged rows or anything DuckDB reads differently: the slow, exact way.
        read = _read_with_python(name, utf8, delimiter, width, header_at + hint_line)
    table, row_numbers, blank_rows = read
    value_sample = [v for column in table.slice(0, VALUE_SAMPLE_ROWS).columns for v in column.to_pylist() if v]
    sheet = _finish(name, None, header, table, row_numbers, titles, blank_rows, max_rows, max_columns,
                    value_sample=value_sample, delimiter=delimiter, notes=notes)
    sheet.stated_date = stated_date(rows[:header_at])
    return sheet


def _repair_utf8(data: bytes) -> tuple[bytes, str, list[int]]:
    """A text that is UTF-8 in its sample but not further: each line that is not UTF-8 is read as Windows-1252,
    every other line stays UTF-8, never the whole file in one encoding picked from one byte.

    (UTF-8 bytes, encoding, 1-based numbers of the lines read as Windows-1252). The encoding is "Windows-1252"
    when no line holds UTF-8 beyond ASCII (a Windows-1252 export whose first 256 KB are ASCII), "UTF-8" when
    both are there (a UTF-8 export with a few lines pasted or appended from a Windows-1252 tool)."""
    view = memoryview(data)
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    out: list[bytes] = []
    lines: list[int] = []
    line = 1            # number of the line at `start`
    utf8_beyond_ascii = False
    while start < len(data):
        try:
            codecs.utf_8_decode(view[start:], "strict", True)
            end = len(data)
        except UnicodeDecodeError as error:
            end = start + error.start
        # What is UTF-8 up to the line holding the bad byte (to the end when there is none) stays as it is.
        good_end = end if end == len(data) else max(start, data.rfind(b"\n", start, end) + 1)
        good = data[start:good_end]
        utf8_beyond_ascii = utf8_beyond_ascii or not good.isascii()
        out.append(good)
        line += good.count(b"\n")
        start = good_end
        if start >= len(data):
            break
        if len(lines) >= 1000 and not utf8_beyond_ascii:
            # A Windows-1252 file (nothing but ASCII was UTF-8 so far): the rest in one go.
            out.append(data[start:].decode("cp1252", errors="replace").encode("utf-8"))
            break
        # The line holding the bad byte, read as Windows-1252.
        line_end = data.find(b"\n", start)
        line_end = len(data) if line_end < 0 else line_end + 1
        out.append(data[start:line_end].decode("cp1252", errors="replace").encode("utf-8"))
        lines.append(line)
        line += 1
        start = line_end
    return b"".join(out), "UTF-8" if utf8_beyond_ascii else "Windows-1252", lines


def _to_utf8(name: str, data: bytes, repair: bool = False) -> tuple[bytes, str, bool, list[int]]:
    """The text as UTF-8 bytes without BOM, the encoding found (UTF-8, UTF-16, Windows-1252), whether
    the bytes were checked as UTF-8 to the end, and the lines read as Windows-1252 in a UTF-8 text.

    Undeclared UTF-8 is checked on the sample only: DuckDB checks the rest while reading (it refuses invalid
    UTF-8), which saves decoding a large file twice; the caller asks again with `repair` when DuckDB refuses,
    and the lines that are not UTF-8 are then read as Windows-1252, one by one (see _repair_utf8).
    """
    text: str | None = None
    verified = True
    lines: list[int] = []
    if repair:
        utf8, encoding, lines = _repair_utf8(data)
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
        # Windows-1252 (not latin-1: the euro sign is 0x80; its five unassigned bytes become U+FFFD), line by
        # line when UTF-8 lines are there too.
        utf8, encoding, lines = _repair_utf8(data)
        if "\x00" in utf8[:SAMPLE_BYTES].decode("utf-8", "ignore"):
            raise ImportProblem("problem.not_a_table", name)
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
    return utf8, encoding, verified, lines


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
    with tempfile.TemporaryDirectory(prefix="cockpit-read-", dir=_scratch_dir(len(utf8))) as folder:
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

    # DuckDB skips blank lines silently. When it read as many rows as there are lines after the header (a blank
    # line or a quoted line break would make fewer), row i is line header_end + i; else every line start is
    # found to number each row.
    lines = utf8.count(b"\n") + (0 if utf8.endswith(b"\n") else 1)
    if lines - header_end == table.num_rows:
        return table, np.arange(header_end + 1, lines + 1, dtype=np.int64), []
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


def _scratch_dir(size: int) -> str | None:
    """Where the transcoded CSV is written for DuckDB to read: /dev/shm (memory) when it has room for it three
    times over, which spares a disk write of the whole file; else the system's temporary folder (None)."""
    try:
        shm = Path("/dev/shm")
        if shm.is_dir() and shutil.disk_usage(shm).free > 3 * size and os.access(shm, os.W_OK):
            return str(shm)
    except OSError:
        pass
    return None


def _read_with_python(name: str, utf8: bytes, delimiter: str, width: int, header_record: int):
    """The csv module over the whole text; `_row` counts records as Excel shows them (blank lines included)."""
    text = utf8.decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    rows = []
    try:
        for index, cells in enumerate(reader):
            if index > header_record:
                rows.append(cells)
    except csv.Error as error:
        # The csv module's field size limit (128 KB): a field pasted whole, or a quote never closed.
        if "field limit" in str(error):
            raise ImportProblem("problem.field_too_long", name, rows=[reader.line_num],
                                limit=_kilobytes(csv.field_size_limit())) from error
        raise
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


def _kilobytes(size: int) -> str:
    return f"{size // 1024} KB"


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
