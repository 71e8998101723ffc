"""What the spreadsheet reader will build, counted before it builds it.

calamine turns a sheet into a dense grid from A1 to the farthest cell it meets, and copies a shared string into
every cell that references it. A 6 KB workbook with one cell at XFD1048576 asks for 512 GB and aborts the
process; so does a 0.5 MB sheet whose rows and cells carry no `r=` reference (calamine places such a cell in the
next column, such a row after the previous one); a 98 KB workbook whose one 1 MB shared string is referenced by
4 000 cells grows the reader to 14 GB; an .ods row repeated 10-digit times describes a billion rows.

So every worksheet is scanned, streamed (never whole in memory), counting exactly what the reader will place:
the grid (rows x columns from A1, cells with or without references, .ods repeats) and the text the cells will
hold (a shared string counted once per cell that references it, plus the strings table itself). A workbook over
MAX_CELLS (one sheet's grid) or MAX_TEXT_BYTES (the whole workbook's text) is refused, naming the far cell.

Two scans place the cells the same way. The fast one stays in C (substring searches and regular expressions over
each chunk) and applies to the XML spreadsheet programs write: a reference first on every cell, no comment, CDATA
or namespace prefix; it bounds inline text by the part's size, and hands over to the exact scan when that bound is
not enough. Anything else (hand-made, or hostile) goes through the exact scan, defusedxml's iterparse, which
follows calamine's rules element by element, counts every text, and stops as soon as a bound is passed.
"""
from __future__ import annotations

import re
import zipfile
from array import array
from typing import NamedTuple

import numpy as np

MAX_CELLS = 10_000_000               # one sheet's grid (e.g. 250 000 rows x 40 columns): about 2.5 GB at peak
MAX_TEXT_BYTES = 256 * 1024 * 1024   # the text a workbook's cells hold once read (each copy costs 3-4x in memory)
SCAN_CHUNK = 4 * 1024 * 1024
MAX_TAG_BYTES = 16 * 1024 * 1024     # one tag (or one shared string) longer than this is not a spreadsheet's
MAX_EXTRA_CELLS = 20_000             # scanned past the bound to the end of the row, to name the far cell
# Elements the exact scan reads in one sheet (a 10-million-cell sheet has about 21 million: rows, cells, values).
# Past it, the sheet is refused whatever it holds: a gigabyte of empty rows would otherwise keep the scan for minutes.
MAX_ELEMENTS = 5 * MAX_CELLS


class Extent(NamedTuple):
    """What one sheet makes the reader build: its grid from A1 to the far cell, and the text of its cells."""

    rows: int
    cols: int
    far: str | None     # the farthest cell (largest column x row), e.g. "XFD1048576": the one to delete
    text: int = 0       # bytes of text the cells hold (a shared string once per referencing cell)

    @property
    def cells(self) -> int:
        return self.rows * self.cols


class TooManyElements(Exception):
    """A sheet whose XML holds more elements than MAX_ELEMENTS: not a spreadsheet program's."""

    def __init__(self, sheet: str | None = None):
        super().__init__(f"more than {MAX_ELEMENTS} elements")
        self.sheet = sheet


class _Irregular(Exception):
    """The fast scan cannot vouch for this XML: the exact scan takes over."""


def column_index(letters: str) -> int:
    """1-based column number of 'A', 'Z', 'AA', 'XFD' (lower case read as upper case, as calamine does)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def column_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


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


def _greater_column(n: int) -> bytes:
    """A regex (bytes) matching column letters beyond column n (n >= 1)."""
    letters = column_letters(n)
    parts = [rb"[A-Z]{%d,}" % (len(letters) + 1)]
    for i, ch in enumerate(letters):
        if ch < "Z":
            rest = len(letters) - i - 1
            parts.append(letters[:i].encode() + b"[" + chr(ord(ch) + 1).encode() + b"-Z]"
                         + (rb"[A-Z]{%d}" % rest if rest else b""))
    return b"(?:" + b"|".join(parts) + b")"


def _parts(stream, first_tag: bytes = b"<"):
    """The stream in chunks cut just before a `first_tag`, so that no element of interest straddles two chunks.

    A chunk without such a cut grows until one comes, up to MAX_TAG_BYTES beyond SCAN_CHUNK."""
    tail = b""
    while True:
        chunk = stream.read(SCAN_CHUNK)
        buffer = tail + chunk
        if not chunk:
            if buffer:
                yield buffer
            return
        cut = buffer.rfind(first_tag)
        if cut <= 0:
            if len(buffer) > SCAN_CHUNK + MAX_TAG_BYTES:
                raise _Irregular("element too long")
            tail = buffer
            continue
        yield buffer[:cut]
        tail = buffer[cut:]


# ---------------------------------------------------------------- shared strings

_SI_OPEN = re.compile(rb"<si[\s>/]")
_SI = re.compile(rb"<si>(.*?)</si>", re.DOTALL)


def shared_string_sizes(stream) -> np.ndarray | None:
    """Bytes of each shared string (index -> size; rich-text markup inside an item included: an upper bound), or
    None when the fast scan cannot read the part (the caller reopens it for shared_string_sizes_exact)."""
    try:
        return _shared_sizes_fast(stream)
    except _Irregular:
        return None  # the caller reopens the part for the exact scan


def _shared_sizes_fast(stream) -> np.ndarray:
    sizes = array("q")
    first = True
    for part in _parts(stream, b"<si"):
        if first:
            part = _skip_declaration(part)
            first = False
        if b"<!" in part or b"<?" in part or re.search(rb"<[A-Za-z_][\w.-]*:si[\s>/]", part):
            raise _Irregular("comment, CDATA or prefix")
        found = _SI.findall(part)
        if len(found) != len(_SI_OPEN.findall(part)):
            raise _Irregular("an item the fast scan does not read")
        # An item is usually `<t>text</t>`: its tags are not text (the size stays an upper bound otherwise).
        sizes.extend([len(item) - 7 if item[:3] == b"<t>" and item[-4:] == b"</t>" else len(item) for item in found])
        if len(sizes) > MAX_CELLS:
            break  # more strings than a sheet may hold cells: refused by the caller
    return np.frombuffer(sizes, dtype=np.int64) if sizes else np.zeros(0, dtype=np.int64)


def shared_string_sizes_exact(stream) -> np.ndarray:
    """The same sizes through defusedxml's iterparse: characters of the text runs of each item."""
    from defusedxml.ElementTree import iterparse

    sizes = array("q")
    current = 0
    root = None
    for event, elem in iterparse(stream, events=("start", "end"), forbid_dtd=True):
        tag = elem.tag.rpartition("}")[2]
        if root is None:
            root = elem
        if event == "start":
            if tag == "si":
                current = 0
            continue
        if tag == "t":
            current += len((elem.text or "").encode("utf-8"))
        elif tag == "si":
            sizes.append(current)
            root.clear()
            if len(sizes) > MAX_CELLS:
                break
    return np.frombuffer(sizes, dtype=np.int64) if sizes else np.zeros(0, dtype=np.int64)


def _skip_declaration(part: bytes) -> bytes:
    """The first chunk without its byte order mark and `<?xml ...?>` declaration."""
    start = part[3:] if part.startswith(b"\xef\xbb\xbf") else part
    start = start.lstrip()
    if start.startswith(b"<?xml"):
        end = start.find(b"?>")
        return start[end + 2:] if end >= 0 else start
    return start


# ---------------------------------------------------------------- one worksheet

# calamine takes a reference's letters in any case and its digits with leading zeros ("c05" is C5).
_CELL_AT = re.compile(rb'<c r="([A-Za-z]+)0*(\d+)"')
# What the fast scan cannot vouch for: a comment, CDATA, DOCTYPE or processing instruction, a cell tag spelled
# otherwise than `<c r="...` (no reference, or not first), a namespace prefix (calamine reads <x:c> as a cell).
_ODD = rb'|<(?:[!?]|c[>/\t\n\r]|c (?!r="))'
_SHARED_REF = re.compile(rb'<c r="[A-Z]+\d+"(?: [\w:]+="[^"<>]*")*? t="s"(?: [\w:]+="[^"<>]*")*><v>(\d+)</v>')


def sheet_extent(stream, strings: np.ndarray | None = None, text_budget: int = MAX_TEXT_BYTES,
                 inline_bound: int | None = None) -> Extent:
    """Grid and text of one worksheet's XML stream, as calamine will build them (see the module's docstring).

    `strings`: the sizes of the shared strings; `text_budget`: where counting text may stop (already over);
    `inline_bound`: the part's unpacked size, which bounds its inline text without counting it. A stream the
    fast scan cannot vouch for must be seekable (it is read again by the exact scan)."""
    start = stream.tell() if hasattr(stream, "tell") else 0
    try:
        return _fast_extent(stream, strings, text_budget, inline_bound)
    except _Irregular:
        stream.seek(start)
        return exact_extent(stream, strings, text_budget)


def _fast_extent(stream, strings, text_budget, inline_bound) -> Extent:
    """Every cell carries its reference: the grid is the largest of them. One pass per chunk, in C: after the
    last cell of the chunk has set the extent, a regular expression built for "beyond it" finds the few cells
    that are out of order (none in a sheet saved by a spreadsheet program), and the odd XML on the way."""
    max_row = max_col = far_cells = 0
    far: str | None = None
    shared = 0
    inline = 0
    first = True
    for part in _parts(stream):
        if first:
            part = _skip_declaration(part)
            first = False
        # (calamine reads <x:c> as a cell whatever x is: a prefix is odd too)
        if b":c" in part:
            raise _Irregular("a namespace prefix")
        last = part.rfind(b'<c r="')
        m = _CELL_AT.match(part, last) if last >= 0 else None
        if m:
            col, row = column_index(m.group(1).decode()), int(m.group(2))
            if col * row > far_cells:
                far, far_cells = f"{column_letters(col)}{row}", col * row
            max_col, max_row = max(max_col, col), max(max_row, row)
        # One pass: cells beyond the extent so far (by column, then by row), and the odd XML.
        scan = re.compile(rb'<c r="(?:((?i:' + _greater_column(max(max_col, 1)) + rb'))0*(\d+)"'
                          rb'|([A-Za-z]+)0*(' + _greater_number(max_row) + rb')")' + _ODD)
        for m in scan.finditer(part):
            letters, digits = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            if letters is None:
                raise _Irregular("comment, CDATA, processing instruction or a cell without a leading reference")
            col, row = column_index(letters.decode()), int(digits)
            if col * row > far_cells:
                far, far_cells = f"{column_letters(col)}{row}", col * row
            max_col, max_row = max(max_col, col), max(max_row, row)
        referenced = part.count(b't="s"')
        if referenced:
            found = _SHARED_REF.findall(part)
            if len(found) != referenced or strings is None:
                raise _Irregular("a shared-string cell the fast scan does not read")
            indexes = np.array(found).astype(np.int64)
            if indexes.size and int(indexes.max()) >= len(strings):
                raise _Irregular("a shared string that does not exist")
            shared += int(strings[indexes].sum())
        inline += len(part)
        if max_row * max_col > MAX_CELLS:
            return Extent(max_row, max_col, far, shared)
    if inline_bound is not None:
        inline = min(inline, inline_bound)
    if shared + inline > text_budget:
        # The part's size bounds its inline text only loosely: count it exactly before refusing.
        raise _Irregular("text over the budget by the bound")
    return Extent(max_row, max_col, far, shared)


def exact_extent(stream, strings: np.ndarray | None = None, text_budget: int = MAX_TEXT_BYTES) -> Extent:
    """calamine's placement rules, element by element (defusedxml's iterparse): a cell with `r` goes where it
    says (its row included), a cell without `r` in the next column, a row without `r` after the previous row;
    a shared string counts its size for each cell that references it, inline text its own size."""
    from defusedxml.ElementTree import iterparse

    max_row = max_col = far_cells = 0
    far: str | None = None
    over: int | None = None   # cells scanned since the grid passed MAX_CELLS
    text = 0
    row = 0
    next_row = next_col = 1
    cell_type = None
    in_inline = False
    root = sheet_data = None
    elements = 0
    for event, elem in iterparse(stream, events=("start", "end"), forbid_dtd=True):
        tag = elem.tag.rpartition("}")[2]
        if root is None:
            root = elem
        if event == "start":
            elements += 1
            if elements > MAX_ELEMENTS:
                raise TooManyElements()
            if tag == "row":
                row = _row_number(elem.get("r")) or next_row
                next_col = 1
            elif tag == "c":
                ref = _cell_ref(elem.get("r"))
                col, cell_row = ref if ref else (next_col, row or next_row)
                next_col = col + 1
                cell_type = elem.get("t")
                if col * cell_row > far_cells:
                    far, far_cells = f"{column_letters(col)}{cell_row}", col * cell_row
                max_col, max_row = max(max_col, col), max(max_row, cell_row)
                if max_row * max_col > MAX_CELLS and over is None:
                    over = 0   # refused: finish the row to name its far cell, within a bounded count
                if over is not None:
                    over += 1
                    if over > MAX_EXTRA_CELLS:
                        break
            elif tag == "is":
                in_inline = True
            elif tag == "sheetData":
                sheet_data = elem
            continue
        if tag == "v":
            value = (elem.text or "").strip()
            if cell_type == "s":
                if strings is not None and value.isdigit() and int(value) < len(strings):
                    text += int(strings[int(value)])
            else:
                text += len(value.encode("utf-8"))
        elif tag == "t" and in_inline:
            text += len((elem.text or "").encode("utf-8"))
        elif tag == "is":
            in_inline = False
        elif tag == "row":
            next_row = row + 1
            (sheet_data if sheet_data is not None else root).clear()   # what was scanned is let go
            if over is not None:
                break
        if text > text_budget:
            break
    return Extent(max_row, max_col, far, text)


_ROW_NUMBER = re.compile(r"\s*(\d+)\s*$")
_CELL = re.compile(r"\s*([A-Za-z]+)(\d+)\s*$")


def _row_number(value: str | None) -> int | None:
    m = _ROW_NUMBER.match(value or "")
    return int(m.group(1)) if m else None


def _cell_ref(value: str | None) -> tuple[int, int] | None:
    m = _CELL.match(value or "")
    return (column_index(m.group(1)), int(m.group(2))) if m else None


# ---------------------------------------------------------------- a whole workbook

def _workbook_parts(archive: zipfile.ZipFile) -> tuple[list[tuple[str, str]], str | None]:
    """(sheet name, part path) of an xlsx's worksheets, and the shared strings part, from the workbook's
    relationships (every worksheet part when they cannot be read: calamine will say what is wrong)."""
    from defusedxml import ElementTree

    names = set(archive.namelist())
    default_strings = "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else None
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except Exception:  # noqa: BLE001 - scan every worksheet part instead
        return ([(info.filename, info.filename) for info in archive.infolist()
                 if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")], default_strings)

    def path_of(target: str) -> str:
        return target.lstrip("/") if target.startswith("/") else "xl/" + target

    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    strings = next((path_of(rel.get("Target", "")) for rel in rels
                    if rel.get("Type", "").endswith("/sharedStrings")), default_strings)
    out = []
    for sheet in book.iter():
        if sheet.tag.endswith("}sheet"):
            rid = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
            path = path_of(targets.get(rid, ""))
            out.append((sheet.get("name") or path, path))
    return out, strings if strings in names else None


class WorkbookExtent(NamedTuple):
    sheets: list[tuple[str, Extent]]
    strings: int        # how many shared strings
    strings_bytes: int  # their total size


def xlsx_extents(archive: zipfile.ZipFile) -> WorkbookExtent:
    """Every worksheet's extent; stops at the first sheet over a bound (it is the last one listed)."""
    sheets, strings_path = _workbook_parts(archive)
    sizes = np.zeros(0, dtype=np.int64)
    if strings_path:
        with archive.open(strings_path) as stream:
            sizes = shared_string_sizes(stream)
        if sizes is None:
            with archive.open(strings_path) as stream:
                sizes = shared_string_sizes_exact(stream)
    strings_bytes = int(sizes.sum())
    out: list[tuple[str, Extent]] = []
    if len(sizes) > MAX_CELLS or strings_bytes > MAX_TEXT_BYTES:
        return WorkbookExtent(out, len(sizes), strings_bytes)
    budget = MAX_TEXT_BYTES - strings_bytes
    available = {info.filename: info for info in archive.infolist()}
    for sheet_name, path in sheets:
        if path not in available:
            continue
        with archive.open(path) as stream:
            try:
                extent = sheet_extent(stream, sizes, budget, available[path].file_size)
            except TooManyElements as error:
                error.sheet = sheet_name
                raise
        out.append((sheet_name, extent))
        budget -= extent.text
        if extent.cells > MAX_CELLS or budget < 0:
            break
    return WorkbookExtent(out, len(sizes), strings_bytes)


# ---------------------------------------------------------------- OpenDocument

_ODS_TAG = re.compile(rb"<(/?)table:(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*?)(/?)>")
_ODS_REPEAT = re.compile(rb'number-(?:rows|columns)-repeated="\s*(\d+)\s*"')   # any number of digits


def ods_extents(archive: zipfile.ZipFile) -> WorkbookExtent:
    """Per sheet of an OpenDocument spreadsheet: the grid holding content and the text it repeats.

    ODS has no cell references: rows and cells carry repeat counts ("this empty row 1 048 000 times" ends
    every sheet LibreOffice saves). A cell with content (an element that is not self-closing) repeated far
    makes the grid as large as an xlsx far cell does, so the repeats are added up, content only; a cell's text
    counts once per row and column it is repeated over."""
    out: list[tuple[str, Extent]] = []
    sheet = None
    row = col = row_repeat = col_repeat = 0
    row_used = False
    max_row = max_col = 0
    text = row_text = 0
    cell_start: int | None = None
    offset = 0   # of the current part in the whole stream
    with archive.open("content.xml") as stream:
        for part in _parts(stream):
            for m in _ODS_TAG.finditer(part):
                closing, tag, attrs, empty = m.groups()
                if tag == b"table":
                    if closing:
                        if sheet is not None:
                            out.append((sheet, Extent(max_row, max_col,
                                                      f"{column_letters(max(max_col, 1))}{max_row}", text)))
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
                        text += row_text * row_repeat
                    else:
                        row_repeat, col, row_used, row_text = count, 0, False, 0
                        if empty:  # <table:table-row/>: a row with no cell at all
                            row += count
                elif closing:
                    if cell_start is not None:
                        row_text += (offset + m.start() - cell_start) * col_repeat
                        cell_start = None
                else:
                    if not empty:
                        row_used = True
                        max_col = max(max_col, col + count)
                        cell_start, col_repeat = offset + m.end(), count
                    col += count
                if sheet is not None and (max_row * max_col > MAX_CELLS or text > MAX_TEXT_BYTES):
                    out.append((sheet, Extent(max_row, max_col, f"{column_letters(max(max_col, 1))}{max_row}",
                                              text)))
                    return WorkbookExtent(out, 0, 0)
            offset += len(part)
    return WorkbookExtent(out, 0, 0)
