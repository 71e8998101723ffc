"""The guard counts what the spreadsheet reader will build (issue 20, build item 4): rows and cells with or without
their `r=` reference, .ods repeats of any number of digits, and shared strings once per cell that references
them. Every hostile file is made here, a few KB on disk, and refused before python-calamine builds anything.
"""
from __future__ import annotations

import io
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from analytics.ingest.extent import (MAX_CELLS, MAX_TEXT_BYTES, Extent, exact_extent, sheet_extent,
                                     xlsx_extents)
from analytics.ingest.problems import ImportProblem
from analytics.ingest.read import read_file
from tests.files import ods_bytes, raw_xlsx

MB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[1]


def _refused(name: str, data: bytes) -> ImportProblem:
    with pytest.raises(ImportProblem) as caught:
        read_file(name, data)
    return caught.value


def _sheet(data: str) -> io.BytesIO:
    return io.BytesIO(f"<worksheet><sheetData>{data}</sheetData></worksheet>".encode())


# --- cells and rows without references --------------------------------------------------------------------

def far_cell_without_references(empty_rows: int) -> bytes:
    """A header, `empty_rows` empty rows of varied heights, then one row of 16 383 empty cells and a value:
    no element carries `r=`, so the reader puts that value in column 16 384 (XFD) of row empty_rows + 2."""
    rows = "".join(f'<row ht="{12 + i % 7}" customHeight="1"/>' for i in range(empty_rows))
    return raw_xlsx('<row><c t="inlineStr"><is><t>ID</t></is></c></row>' + rows
                    + "<row>" + "<c/>" * 16_383 + "<c><v>1</v></c></row>")


def test_a_far_cell_without_references_is_refused_and_named():
    # 1 219 empty rows after the header: the value is in row 1 + 1 219 + 1 = 1 221, column 16 384.
    # Grid: 1 221 x 16 384 = 20 004 864 cells, twice the 10 000 000 cap. Without references it used to pass.
    data = far_cell_without_references(1_219)
    assert len(data) < 20_000     # a few KB on disk
    problem = _refused("sans-ref.xlsx", data)
    assert problem.key == "problem.far_cell"
    assert (problem.note.sheet, problem.note.params["cell"]) == ("Affaires", "XFD1221")
    assert (problem.note.params["count"], problem.note.params["width"]) == ("1 221", "16 384")
    assert 1_221 * 16_384 == 20_004_864 > MAX_CELLS


def test_the_same_sheet_within_the_cap_is_read():
    # 8 empty rows: value in row 10, column 16 384 -> 10 x 16 384 = 163 840 cells, under the cap: not refused
    # by the guard (the reader then finds no table worth a header and says so, without aborting).
    data = far_cell_without_references(8)
    (name, extent), = xlsx_extents(zipfile.ZipFile(io.BytesIO(data))).sheets
    assert (extent.rows, extent.cols, extent.far) == (10, 16_384, "XFD10")


# The reader's own placement rules, one line each: calamine agrees (its `end` is the last cell, 0-based).
PLACEMENTS = [
    # cells without r take the next column: the third cell is in C
    ("<row><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>", (1, 3, "C1")),
    # rows without r come after the previous row, self-closing or not: the value row is the 4th
    ('<row><c><v>1</v></c></row><row ht="20"/><row ht="30"></row><row><c><v>2</v></c></row>', (4, 1, "A4")),
    # a row without r after row 3 is row 4
    ('<row r="3"><c><v>1</v></c></row><row><c><v>2</v></c></row>', (4, 1, "A4")),
    # a cell without r after C1 is D1
    ('<row r="1"><c r="C1"><v>1</v></c><c><v>2</v></c></row>', (1, 4, "D1")),
    # a cell's own reference wins over its row's: C5 is row 5, and the next row without r is row 2
    ('<row r="1"><c r="C5"><v>1</v></c></row><row><c><v>2</v></c></row>', (5, 3, "C5")),
    # lower case letters and leading zeros are read as the reader reads them: c05 is C5
    ('<row r="1"><c r="A1"><v>1</v></c><c r="c05"><v>2</v></c></row>', (5, 3, "C5")),
]


@pytest.mark.parametrize("xml, expected", PLACEMENTS)
def test_the_guard_places_cells_where_the_reader_does(xml, expected):
    assert sheet_extent(_sheet(xml))[:3] == expected
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(raw_xlsx(xml)))
    sheet = workbook.get_sheet_by_name("Affaires")
    sheet.to_python()
    rows, cols, _ = expected
    assert sheet.end == (rows - 1, cols - 1)


@pytest.mark.parametrize("xml, expected", [
    ('<row r="1"><c r="A1"><v>1</v></c></row><row r="100001"><c r="O100001"><v>1</v></c></row>', (100_001, 15, "O100001")),
    ('<row r="1"><c r="A1"/><c r="B2"/><c r="XFD1048576"/></row>', (1_048_576, 16_384, "XFD1048576")),
    # ZZ (702) x 9 = 6 318 cells of grid up to ZZ9, AAA (703) x 2 = 1 406 up to AAA2: ZZ9 is the farther
    ('<row r="1"><c r="A1"/><c r="ZZ9"/><c r="AAA2"/></row>', (9, 703, "ZZ9")),
])
def test_the_fast_scan_and_the_exact_scan_agree(xml, expected):
    assert sheet_extent(_sheet(xml))[:3] == expected
    assert exact_extent(_sheet(xml))[:3] == expected


def test_a_comment_hiding_a_far_reference_does_not_fool_the_fast_scan():
    # The fast scan would count the reference inside the comment; the exact scan, which the comment sends the
    # sheet to, does not: the grid is B2, 2 x 2.
    xml = '<row r="1"><c r="A1"><v>1</v></c><!-- <c r="XFD1048576"> --></row><row r="2"><c r="B2"><v>1</v></c></row>'
    assert sheet_extent(_sheet(xml))[:3] == (2, 2, "B2")



def test_a_sheet_of_endless_empty_rows_stops_the_exact_scan(monkeypatch):
    # Rows without cells place nothing, but a gigabyte of them would keep the exact scan (where the one cell
    # without a reference sends the sheet) for minutes: past MAX_ELEMENTS (lowered here to 100) the sheet is
    # refused. 1 worksheet + 1 sheetData + 150 rows = 152 elements > 100 before the cell is even reached.
    from analytics.ingest import extent, read

    monkeypatch.setattr(extent, "MAX_ELEMENTS", 100)
    data = raw_xlsx("<row/>" * 150 + "<row><c><v>1</v></c></row>")
    with pytest.raises(ImportProblem) as caught:
        read._check_extents("lignes.xlsx", data, "xlsx")    # the guard itself, in this process
    assert (caught.value.key, caught.value.note.sheet) == ("problem.too_many_elements", "Affaires")
    assert "100" in caught.value.render("fr")

# --- shared strings -----------------------------------------------------------------------------------------

# 1 MB of "a" and "b" drawn at random: compressed about 8 to 1 (one bit per byte), so that the zip bomb check,
# which refuses parts compressed more than 100 to 1, lets the file through to the guard, as the real one was.
LONG_TEXT = "".join(random.Random(20).choices("ab", k=MB))

def test_one_long_shared_string_in_thousands_of_cells_is_refused():
    # One shared string of 1 MB referenced by 4 000 cells: the reader copies it into every cell,
    # 4 000 x 1 MB = 3.9 GB of text from a file of a few KB (it took the server from 277 MB to 14 GB).
    cells = '<c t="s"><v>0</v></c>' * 4_000
    data = raw_xlsx(f"<row>{cells}</row>", strings=[LONG_TEXT])
    assert len(data) < 250_000
    problem = _refused("chaine.xlsx", data)
    assert problem.key == "problem.too_much_text"
    assert "256 MB" in problem.render("fr") and "256 MB" in problem.render("en")
    assert 4_000 * MB > MAX_TEXT_BYTES


def test_the_same_attack_with_references_is_refused_too():
    # Same file, every cell with its reference: the fast scan counts it the same way.
    cells = "".join(f'<c r="{col}1" t="s"><v>0</v></c>' for col in _columns(4_000))
    problem = _refused("chaine.xlsx", raw_xlsx(f'<row r="1">{cells}</row>', strings=[LONG_TEXT]))
    assert problem.key == "problem.too_much_text"


@pytest.mark.parametrize("with_refs", [True, False])
def test_shared_strings_count_once_per_referencing_cell(with_refs):
    # Strings of 10 and 4 bytes; three cells reference the first, one the second: 3 x 10 + 1 x 4 = 34 bytes.
    refs = [' r="A1"', ' r="B1"', ' r="C1"', ' r="D1"'] if with_refs else [""] * 4
    cells = "".join(f'<c{r} t="s"><v>{i}</v></c>' for r, i in zip(refs, [0, 0, 1, 0]))
    row = '<row r="1">' if with_refs else "<row>"
    data = raw_xlsx(f"{row}{cells}</row>", strings=["0123456789", "abcd"])
    found = xlsx_extents(zipfile.ZipFile(io.BytesIO(data)))
    (_, extent), = found.sheets
    assert (found.strings, found.strings_bytes) == (2, 14)
    assert extent == Extent(1, 4, "D1", 34)


def _columns(n: int) -> list[str]:
    from analytics.ingest.extent import column_letters

    return [column_letters(i) for i in range(1, n + 1)]


# --- OpenDocument repeats -----------------------------------------------------------------------------------

def test_an_ods_row_repeated_with_ten_digits_is_refused():
    # One text cell repeated over 1 000 000 000 rows (10 digits): 1 000 000 000 x 1 cells, 100 x the cap.
    # The size check used to read 9 digits and take it for one row.
    data = ods_bytes({"Affaires": [["ID", "Montant"], ["A", 10]]}, trailing_empty=False, far_rows=1_000_000_000)
    problem = _refused("repete.ods", data)
    assert problem.key == "problem.far_cell"
    assert problem.note.sheet == "Affaires"
    assert problem.note.params["count"] == "1 000 000 002"   # 2 rows above + 10^9 repeated



def test_an_ods_cell_repeated_over_columns_counts_its_text_each_time():
    # One cell of 1 MB of text repeated over 300 columns: 300 x 1 MB = 300 MB of text > 256 MB, in a grid of
    # only 1 x 300 cells, far below the cell cap. The text is what makes it too big.
    content = (f'<table:table-row><table:table-cell table:number-columns-repeated="300" office:value-type="string">'
               f"<text:p>{LONG_TEXT}</text:p></table:table-cell></table:table-row>")
    data = _ods_with_rows("Affaires", '<table:table-row><table:table-cell office:value-type="string">'
                                      "<text:p>ID</text:p></table:table-cell></table:table-row>" + content)
    problem = _refused("repete.ods", data)
    assert problem.key == "problem.too_much_text"
    assert 300 * MB > MAX_TEXT_BYTES and 2 * 300 < MAX_CELLS


def _ods_with_rows(sheet: str, rows_xml: str) -> bytes:
    body = (f'<table:table table:name="{sheet}">{rows_xml}</table:table>')
    content = ('<?xml version="1.0" encoding="UTF-8"?>'
               '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
               f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_a_sheet_declaring_entities_is_refused_not_expanded():
    # The "billion laughs": entities of entities, 10 levels of 10, a few hundred bytes that expand to 1 GB.
    # The exact scan (the DOCTYPE sends the sheet there) refuses any DTD: a damaged workbook, nothing expanded.
    entities = '<!ENTITY a0 "laugh">' + "".join(f'<!ENTITY a{i} "{("&a%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    sheet = (f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>&a9;</t></is></c></row></sheetData></worksheet>')
    data = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw_xlsx("")), "r") as source, zipfile.ZipFile(data, "w") as target:
        for info in source.infolist():
            part = sheet.encode() if info.filename == "xl/worksheets/sheet1.xml" else source.read(info.filename)
            target.writestr(info.filename, part)
    problem = _refused("rires.xlsx", data.getvalue())
    assert problem.key == "problem.corrupt_xlsx"

# --- the command line -----------------------------------------------------------------------------------------

def test_the_cli_refuses_the_far_cell_workbook_without_references(tmp_path):
    # The scheduled import meets the same guard: exit code 1, the message names the far cell, no traceback,
    # and the workspace (created beforehand, with its schema) still opens.
    import duckdb

    from analytics import store

    path = tmp_path / "sans-ref.xlsx"
    path.write_bytes(far_cell_without_references(1_219))
    workspace = tmp_path / "client.duckdb"
    with duckdb.connect(str(workspace)) as con:
        store.init_schema(con)
    done = subprocess.run([sys.executable, "-m", "analytics", "import", str(path), "--workspace", str(workspace)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr[-500:]
    assert "sans-ref.xlsx" in done.stderr and "XFD1221" in done.stderr
    assert "Traceback" not in done.stderr
