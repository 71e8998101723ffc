"""analytics.ingest.read: bytes as the field sends them -> string tables with the row numbers the user sees.

Every file is built here, in code: CSV as bytes in the encoding under test, workbooks with openpyxl.
"""
from __future__ import annotations

import datetime as dt
import io
import random
import zipfile

import openpyxl
import pytest

from analytics.ingest import read
from analytics.ingest.problems import ImportProblem
from analytics.ingest.read import read_file


def one(name: str, data: bytes, **limits) -> read.RawSheet:
    sheets = read_file(name, data, **limits)
    assert len(sheets) == 1
    return sheets[0]


def rows(sheet: read.RawSheet) -> list[dict]:
    return sheet.table.to_pylist()


def notes(sheet: read.RawSheet) -> dict[str, tuple]:
    return {n.key: (n.rows, n.params) for n in sheet.notes}


def problem(name: str, data: bytes, **limits) -> ImportProblem:
    with pytest.raises(ImportProblem) as caught:
        read_file(name, data, **limits)
    return caught.value


def workbook(sheets: dict[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, grid in sheets.items():
        sheet = book.create_sheet(title)
        for r, cells in enumerate(grid, start=1):
            for c, value in enumerate(cells, start=1):
                if value is not None:
                    sheet.cell(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- encodings

ENCODED = [
    # label, bytes, encoding note expected (None: plain UTF-8, no note)
    ("utf-8", "id,Nom,Montant\n1,Société Générale,12.5\n2,Café €,3\n".encode("utf-8"), None),
    ("utf-8 BOM", b"\xef\xbb\xbf" + "id,Nom,Montant\n1,Société Générale,12.5\n2,Café €,3\n".encode("utf-8"), None),
    ("cp1252", "id,Nom,Montant\n1,Société Générale,12.5\n2,Café €,3\n".encode("cp1252"), "Windows-1252"),
    # Excel "Unicode text": UTF-16 LE with BOM, tab-delimited, CRLF
    ("utf-16 le", "\ufeffid\tNom\tMontant\r\n1\tSociété Générale\t12.5\r\n2\tCafé €\t3\r\n".encode("utf-16-le"),
     "UTF-16"),
]


@pytest.mark.parametrize("label, data, encoding", ENCODED, ids=[e[0] for e in ENCODED])
def test_encodings_come_back_as_the_same_text(label, data, encoding):
    if label == "cp1252":
        assert data[data.index(b"Caf"):][:6] == b"Caf\xe9 \x80"  # é is 0xE9, the euro sign 0x80 in cp1252
    sheet = one("export.csv", data)
    assert sheet.headers == ["id", "Nom", "Montant"]
    assert rows(sheet) == [
        {"id": "1", "Nom": "Société Générale", "Montant": "12.5", "_row": 2},
        {"id": "2", "Nom": "Café €", "Montant": "3", "_row": 3},
    ]
    assert notes(sheet).get("note.encoding") == (None if encoding is None else ([], {"encoding": encoding}))
    assert sheet.file == "export.csv" and sheet.sheet is None


def test_cp1252_byte_far_below_the_sample_still_means_cp1252():
    # The first 256 KB are plain ASCII (valid UTF-8): only DuckDB meets the 0xE9 and 0x80 bytes.
    data = b"id;Nom\n" + b"1;x\n" * 100_000 + "2;Café €\n".encode("cp1252")
    sheet = one("x.csv", data)
    assert sheet.table.num_rows == 100_001
    assert rows(sheet)[-1] == {"id": "2", "Nom": "Café €", "_row": 100_002}
    assert notes(sheet)["note.encoding"] == ([], {"encoding": "Windows-1252"})


def test_utf16_without_bom_is_recognised_from_its_nuls():
    sheet = one("x.txt", "id\tNom\n7\tÉlodie\n".encode("utf-16-le"))
    assert rows(sheet) == [{"id": "7", "Nom": "Élodie", "_row": 2}]


# ---------------------------------------------------------------- delimiters, quoting, stripping

DELIMITED = [
    ("semicolon", b'id;Nom;Montant\n1;"Dupont; Jean";12\n2;Martin;"3"\n'),
    ("comma", b'id,Nom,Montant\n1,"Dupont; Jean",12\n2,Martin,"3"\n'),
    ("tab", b'id\tNom\tMontant\n1\t"Dupont; Jean"\t12\n2\tMartin\t"3"\n'),
    ("pipe", b'id|Nom|Montant\n1|"Dupont; Jean"|12\n2|Martin|"3"\n'),
    ("comma quoted", b'id,Nom,Montant\n1,"Dupont; Jean",12\n2,"Martin",3\n'),
    ("crlf", b'id;Nom;Montant\r\n1;"Dupont; Jean";12\r\n2;Martin;3\r\n'),
    ("no final newline", b'id;Nom;Montant\n1;"Dupont; Jean";12\n2;Martin;3'),
]


@pytest.mark.parametrize("label, data", DELIMITED, ids=[d[0] for d in DELIMITED])
def test_delimiters_and_quoted_fields(label, data):
    assert rows(one("x.csv", data)) == [
        {"id": "1", "Nom": "Dupont; Jean", "Montant": "12", "_row": 2},
        {"id": "2", "Nom": "Martin", "Montant": "3", "_row": 3},
    ]


def test_quoted_delimiter_and_doubled_quote_in_a_comma_file():
    sheet = one("x.csv", b'id,Nom\n1,"Dupont, Jean ""JD"""\n')
    assert rows(sheet) == [{"id": "1", "Nom": 'Dupont, Jean "JD"', "_row": 2}]


def test_values_are_stripped_and_empty_cells_are_none():
    data = 'id;Nom;Montant\n 1 ;"  Acme  ";\u00a012\u202f500,50\u00a0\n2;"";\n'.encode("utf-8")
    assert rows(one("x.csv", data)) == [
        {"id": "1", "Nom": "Acme", "Montant": "12\u202f500,50", "_row": 2},
        {"id": "2", "Nom": None, "Montant": None, "_row": 3},
    ]


def test_tab_at_the_edge_of_a_value_is_stripped_too():
    assert rows(one("x.csv", b"id;Nom\n1;\tAcme\t\n")) == [{"id": "1", "Nom": "Acme", "_row": 2}]


def test_blank_and_duplicate_headers_get_names_and_an_unnamed_empty_column_goes():
    # trailing ';' on every line: a fifth, unnamed and empty column, dropped
    data = b"id;;Nom;nom;\n1;x;a;b;\n"
    sheet = one("x.csv", data)
    assert sheet.headers == ["id", "column_2", "Nom", "nom (2)"]
    assert rows(sheet) == [{"id": "1", "column_2": "x", "Nom": "a", "nom (2)": "b", "_row": 2}]


def test_sep_hint_line_from_excel_gives_the_delimiter():
    sheet = one("x.csv", b"sep=;\nid;Nom\n1;a,b\n")
    assert rows(sheet) == [{"id": "1", "Nom": "a,b", "_row": 3}]


def test_short_row_is_padded_with_none():
    assert rows(one("x.csv", b"id;Nom;Montant\n1;a\n2;b;3\n")) == [
        {"id": "1", "Nom": "a", "Montant": None, "_row": 2},
        {"id": "2", "Nom": "b", "Montant": "3", "_row": 3},
    ]


def test_quoted_line_break_keeps_the_row_number_as_excel_shows_it():
    # Excel shows the record with the line break as one row (row 2); the next record is row 3.
    data = b'id;Notes;Montant\n1;"first line\nsecond line";5\n2;short;6\n'
    assert rows(one("x.csv", data)) == [
        {"id": "1", "Notes": "first line\nsecond line", "Montant": "5", "_row": 2},
        {"id": "2", "Notes": "short", "Montant": "6", "_row": 3},
    ]


def test_old_mac_line_endings():
    assert rows(one("x.csv", b"id;Nom\r1;a\r\r2;b\r")) == [{"id": "1", "Nom": "a", "_row": 2},
                                                          {"id": "2", "Nom": "b", "_row": 4}]


def test_plain_file_is_read_by_duckdb_not_cell_by_cell(monkeypatch):
    # The 1M-row budget holds only on the DuckDB path: a plain export must never fall back to Python.
    def refuse(*args):
        raise AssertionError("fell back to the csv module")
    monkeypatch.setattr(read, "_read_with_python", refuse)
    data = "Export\n\nid;Nom;Montant\n1;Acme;12,5\n\n2;Beta;3\nTotal;;15,5\n".encode("cp1252")
    assert [r["_row"] for r in rows(one("x.csv", data))] == [4, 6]


def test_a_wider_row_far_below_the_sample_gets_its_own_column():
    body = b"".join(b"%d;x\n" % i for i in range(1, 40_001))   # > the 256 KB sample
    sheet = one("x.csv", b"id;Nom\n" + body + b"40001;y;extra\n")
    assert sheet.headers == ["id", "Nom", "column_3"]
    assert sheet.table.num_rows == 40_001
    assert rows(sheet)[-1] == {"id": "40001", "Nom": "y", "column_3": "extra", "_row": 40_002}
    assert rows(sheet)[0] == {"id": "1", "Nom": "x", "column_3": None, "_row": 2}


# ---------------------------------------------------------------- decimal comma and language

GUESSES = [
    # data, decimal_comma, language
    ("Identifiant;Montant;Probabilité\n1;12 500,50;0,35\n2;1.250,00 €;0,5\n", True, "fr"),
    ("Identifiant;Montant\n1;12\u202f500,50\n2;3\u00a0000,00\n", True, "fr"),
    ("Opportunity ID,Amount,Probability\n1,12500.50,0.35\n2,\"1,250.00\",0.5\n", False, "en"),
    ("Opportunity ID,Amount\n1,1250\n2,\"1,250\"\n", None, "en"),     # integers and '1,250': no evidence
    ("Montant,Amount\n\"12,5\",12.5\n", None, None),     # both separators; one French, one English word
    ("Montant;Amount\n\"12,5\";12.5\n", None, "fr"),     # the same, but ';' tips it to French
    ("id,x\n1,a\n", None, None),
]


@pytest.mark.parametrize("data, decimal_comma, language", GUESSES)
def test_decimal_comma_and_language_guesses(data, decimal_comma, language):
    sheet = one("x.csv", data.encode("utf-8"))
    assert sheet.decimal_comma is decimal_comma
    assert sheet.language == language


def test_french_words_and_semicolon_make_french():
    sheet = one("x.csv", "Nom;Étape;Date de clôture\nA;Gagnée;03/11/2026\n".encode("utf-8"))
    assert sheet.language == "fr"


# ---------------------------------------------------------------- title lines, totals, empty rows

def test_two_title_lines_and_a_blank_line_above_the_header():
    data = ("Export Salesforce - Opportunités\nGénéré le 03/11/2026\n\n"
            "id;Nom;Montant\n1;Acme;12\n2;Beta;3\n").encode("utf-8")
    sheet = one("x.csv", data)
    assert sheet.headers == ["id", "Nom", "Montant"]
    assert rows(sheet) == [
        {"id": "1", "Nom": "Acme", "Montant": "12", "_row": 5},   # line 4 is the header
        {"id": "2", "Nom": "Beta", "Montant": "3", "_row": 6},
    ]
    assert notes(sheet)["note.title_lines"] == ([1, 2], {"count": 2})


def test_title_line_padded_with_delimiters_as_excel_saves_it():
    data = "Export Opportunités;;\n;;\nid;Nom;Montant\n1;Acme;12\n".encode("utf-8")
    sheet = one("x.csv", data)
    assert rows(sheet) == [{"id": "1", "Nom": "Acme", "Montant": "12", "_row": 4}]
    assert notes(sheet)["note.title_lines"] == ([1], {"count": 1})


TOTALS = [
    ("Total;;15\n", 4), ("TOTAL GÉNÉRAL;;15,00 €\n", 4), ("Grand total;;15\n", 4), ("Somme;;15\n", 4),
    ("totaux;;15\n", 4), (";;15\n", 4), ("Sum;;15\n", 4),
]


@pytest.mark.parametrize("last_line, totals_row", TOTALS)
def test_totals_line_at_the_end_is_dropped(last_line, totals_row):
    data = ("id;Nom;Montant\n1;Acme;12\n2;Beta;3\n" + last_line).encode("utf-8")
    sheet = one("x.csv", data)
    assert [r["id"] for r in rows(sheet)] == ["1", "2"]
    assert notes(sheet)["note.totals_dropped"] == ([totals_row], {})


@pytest.mark.parametrize("last_line", ["Total SA;Jean Dupont;15\n", "Summit;Beta;4\n", "3;Totaux;4\n"])
def test_a_customer_named_like_a_total_is_kept(last_line):
    data = ("Compte;Owner;Montant\nAcme;Jean;12\n" + last_line).encode("utf-8")
    sheet = one("x.csv", data)
    assert sheet.table.num_rows == 2
    assert "note.totals_dropped" not in notes(sheet)


def test_empty_rows_in_the_middle_are_skipped_and_row_numbers_stay_true():
    data = b"id;Nom\n1;a\n\n;;\n  ;  \n2;b\n\n\n"
    sheet = one("x.csv", data)
    assert rows(sheet) == [{"id": "1", "Nom": "a", "_row": 2}, {"id": "2", "Nom": "b", "_row": 6}]
    # lines 3 (blank), 4 (only delimiters), 5 (only spaces); the blank lines after the data are not counted
    assert notes(sheet)["note.rows_skipped"] == ([3, 4, 5], {"count": 3})


def test_titles_totals_and_empty_rows_together_in_cp1252():
    data = ("Export CRM\n\nid;Nom;Montant\n1;Café;1 250,00 €\n\n2;Thé;250,00 €\nTotal;;1 500,00 €\n"
            ).encode("cp1252")
    sheet = one("x.csv", data)
    assert rows(sheet) == [
        {"id": "1", "Nom": "Café", "Montant": "1 250,00 €", "_row": 4},
        {"id": "2", "Nom": "Thé", "Montant": "250,00 €", "_row": 6},
    ]
    assert notes(sheet) == {
        "note.encoding": ([], {"encoding": "Windows-1252"}),
        "note.title_lines": ([1], {"count": 1}),
        "note.totals_dropped": ([7], {}),
        "note.rows_skipped": ([5], {"count": 1}),
    }
    assert sheet.decimal_comma is True and sheet.language == "fr"


# ---------------------------------------------------------------- workbooks

def test_workbook_every_sheet_read_and_an_empty_one_skipped():
    data = workbook({
        "Opportunités": [["id", "Nom"], [1, "Acme"], [2, "Beta"]],
        "Vide": [],
        "Objectifs": [["Commercial", "Objectif"], ["Jean", 1000]],
    })
    sheets = read_file("crm.xlsx", data)
    assert [s.sheet for s in sheets] == ["Opportunités", "Objectifs"]
    assert rows(sheets[0]) == [{"id": "1", "Nom": "Acme", "_row": 2}, {"id": "2", "Nom": "Beta", "_row": 3}]
    assert rows(sheets[1]) == [{"Commercial": "Jean", "Objectif": "1000", "_row": 2}]
    skipped = [n for n in sheets[0].notes if n.key == "note.sheet_skipped"]
    assert [(n.file, n.sheet) for n in skipped] == [("crm.xlsx", "Vide")]
    assert all(s.file == "crm.xlsx" for s in sheets)


def test_workbook_header_only_sheet_is_skipped():
    data = workbook({"Data": [["id"], [1]], "Modèle": [["id", "Nom"]]})
    sheets = read_file("crm.xlsx", data)
    assert [s.sheet for s in sheets] == ["Data"]
    assert [n.sheet for n in sheets[0].notes if n.key == "note.sheet_skipped"] == ["Modèle"]


CELLS = [
    # value written by openpyxl, text read back
    (dt.datetime(2026, 3, 4, 10, 30), "2026-03-04 10:30:00"),
    (dt.datetime(2026, 3, 4), "2026-03-04"),
    (dt.date(2026, 3, 4), "2026-03-04"),
    (12.5, "12.5"),
    (3.0, "3"),
    (12500, "12500"),
    (1234.5678, "1234.5678"),
    (1e-7, "0.0000001"),
    (-4.25, "-4.25"),
    (True, "true"),
    (False, "false"),
    ("  texte  ", "texte"),
    ("12 500,50", "12 500,50"),
]


@pytest.mark.parametrize("value, text", CELLS, ids=[repr(c[0]) for c in CELLS])
def test_workbook_cell_values_to_text(value, text):
    sheet = one("x.xlsx", workbook({"S": [["id", "Valeur"], ["A", value]]}))
    assert rows(sheet) == [{"id": "A", "Valeur": text, "_row": 2}]


def test_workbook_datetime_and_float_cells_side_by_side():
    data = workbook({"S": [["Date", "Montant"], [dt.datetime(2026, 3, 4, 10, 30), 12.5], [None, None],
                           [dt.datetime(2026, 3, 5), 7.0]]})
    sheet = one("x.xlsx", data)
    assert rows(sheet) == [
        {"Date": "2026-03-04 10:30:00", "Montant": "12.5", "_row": 2},
        {"Date": "2026-03-05", "Montant": "7", "_row": 4},
    ]
    assert notes(sheet)["note.rows_skipped"] == ([3], {"count": 1})
    assert sheet.decimal_comma is None   # real numbers carry no decimal separator


def test_workbook_title_rows_and_totals_row():
    data = workbook({"Export": [
        ["Export Pipedrive - Affaires"],
        ["Généré le 03/11/2026"],
        [],
        ["Titre", "Valeur", "Étape"],
        ["Affaire 1", 1000, "Gagnée"],
        ["Affaire 2", 500, "Perdue"],
        ["Total", 1500, None],
    ]})
    sheet = one("x.xlsx", data)
    assert sheet.sheet == "Export"
    assert rows(sheet) == [
        {"Titre": "Affaire 1", "Valeur": "1000", "Étape": "Gagnée", "_row": 5},
        {"Titre": "Affaire 2", "Valeur": "500", "Étape": "Perdue", "_row": 6},
    ]
    assert notes(sheet)["note.title_lines"] == ([1, 2], {"count": 2})
    assert notes(sheet)["note.totals_dropped"] == ([7], {})
    assert sheet.language == "fr"


def test_workbook_table_not_starting_at_a1_keeps_excel_row_numbers():
    data = workbook({"S": [[], [], [None, "id", "Nom"], [None, 1, "Acme"]]})
    assert rows(one("x.xlsx", data)) == [{"id": "1", "Nom": "Acme", "_row": 4}]


def test_workbook_text_numbers_with_decimal_commas():
    data = workbook({"S": [["Compte", "Montant"], ["A", "12 500,50"], ["B", "0,35"]]})
    assert one("x.xlsx", data).decimal_comma is True


def test_file_type_comes_from_the_bytes_not_the_name():
    data = workbook({"S": [["id"], [1]]})
    assert rows(one("export.csv", data)) == [{"id": "1", "_row": 2}]
    assert rows(one("classeur.xlsx", b"id;Nom\n1;a\n")) == [{"id": "1", "Nom": "a", "_row": 2}]


def test_uploaded_name_is_only_text():
    sheet = one("../../etc/passwd", b"id\n1\n")
    assert sheet.file == "../../etc/passwd"


# ---------------------------------------------------------------- refused input

def ole(*streams: str) -> bytes:
    """An OLE-signature blob whose directory holds these stream names (UTF-16LE), as Office writes them."""
    directory = b"".join(name.encode("utf-16-le").ljust(64, b"\x00") for name in streams)
    return read.OLE_SIGNATURE + b"\x00" * 504 + directory + b"\x00" * 512


def zip_bytes(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


REFUSED = [
    ("empty.csv", b"", "problem.empty_file"),
    ("blank.csv", b" \r\n\r\n  \n", "problem.empty_file"),
    ("bom.csv", b"\xef\xbb\xbf", "problem.empty_file"),
    ("delims.csv", b";;;\n;;;\n", "problem.empty_file"),
    ("header.csv", b"id;Nom;Montant\n", "problem.header_only"),
    ("header2.csv", b"Export CRM\n\nid;Nom;Montant\n\n;;\nTotal;;0\n", "problem.header_only"),
    ("garbage.csv", random.Random(1).randbytes(4096), "problem.not_a_table"),
    ("control.csv", bytes(range(1, 32)) * 50, "problem.not_a_table"),
    ("scan.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "problem.not_a_table"),
    ("bad.xlsx", b"PK\x03\x04" + random.Random(2).randbytes(2000), "problem.corrupt_xlsx"),
    ("notexcel.xlsx", zip_bytes({"word/document.xml": b"<w/>"}), "problem.corrupt_xlsx"),
    ("secret.xlsx", ole("EncryptionInfo", "EncryptedPackage"), "problem.encrypted"),
    ("old.xls", ole("Workbook", "SummaryInformation"), "problem.legacy_xls"),
]


@pytest.mark.parametrize("name, data, key", REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_files_name_the_file(name, data, key):
    refused = problem(name, data)
    assert refused.key == key
    assert refused.note.file == name


def test_truncated_workbook_is_corrupt():
    data = workbook({"S": [["id", "Nom"]] + [[i, f"n{i}"] for i in range(200)]})
    for cut in (len(data) // 4, len(data) // 2, len(data) - 30):
        assert problem("cut.xlsx", data[:cut]).key == "problem.corrupt_xlsx"


def test_workbook_with_a_broken_part_is_corrupt_not_a_crash():
    good = zipfile.ZipFile(io.BytesIO(workbook({"S": [["id"], [1]]})))
    parts = {info.filename: good.read(info) for info in good.infolist()}
    parts["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row><c r='A1' t='s'><v>99"
    assert problem("broken.xlsx", zip_bytes(parts)).key == "problem.corrupt_xlsx"


def test_zip_bomb_is_refused_from_the_directory():
    bomb = zip_bytes({
        "[Content_Types].xml": b"<Types/>",
        "xl/workbook.xml": b"<workbook/>",
        "xl/worksheets/sheet1.xml": b"0" * (50 * 1024 * 1024),   # deflates about 1000:1
    })
    assert len(bomb) < 200_000
    refused = problem("bomb.xlsx", bomb)
    assert refused.key == "problem.zip_bomb"
    assert refused.note.file == "bomb.xlsx"
    assert "xl/worksheets/sheet1.xml" in refused.note.params["detail"]


def test_zip_declaring_too_much_in_total_is_refused(monkeypatch):
    monkeypatch.setattr(read, "MAX_UNZIPPED_BYTES", 1000)
    data = workbook({"S": [["id"], [1]]})
    assert problem("big.xlsx", data).key == "problem.zip_bomb"


def test_too_large_input(monkeypatch):
    monkeypatch.setattr(read, "MAX_BYTES", 10)
    refused = problem("huge.csv", b"id;Nom\n1;abc\n")
    assert refused.key == "problem.too_large" and refused.note.file == "huge.csv"


def test_too_many_columns_csv():
    refused = problem("wide.csv", b"a;b;c;d\n1;2;3;4\n", max_columns=3)
    assert (refused.key, refused.note.params) == ("problem.too_many_columns", {"count": 4, "limit": 3})


def test_too_many_rows_csv():
    refused = problem("long.csv", b"id\n1\n2\n3\n", max_rows=2)
    assert (refused.key, refused.note.params) == ("problem.too_many_rows", {"count": 3, "limit": 2})
    assert len(read_file("long.csv", b"id\n1\n2\n", max_rows=2)[0].table) == 2


def test_too_many_rows_and_columns_in_a_workbook_name_the_sheet():
    data = workbook({"Petit": [["id"], [1]], "Grand": [["a", "b", "c"], [1, 2, 3], [4, 5, 6], [7, 8, 9]]})
    rows_refused = problem("crm.xlsx", data, max_rows=2)
    assert (rows_refused.key, rows_refused.note.sheet, rows_refused.note.params) == (
        "problem.too_many_rows", "Grand", {"count": 3, "limit": 2})
    columns_refused = problem("crm.xlsx", data, max_columns=2)
    assert (columns_refused.key, columns_refused.note.sheet) == ("problem.too_many_columns", "Grand")


def test_workbook_without_any_data():
    assert problem("vide.xlsx", workbook({"A": [], "B": []})).key == "problem.empty_file"
    refused = problem("modele.xlsx", workbook({"A": [], "Modèle": [["id", "Nom"]]}))
    assert (refused.key, refused.note.file, refused.note.sheet) == ("problem.header_only", "modele.xlsx", "Modèle")


@pytest.mark.parametrize("seed", range(8))
def test_damaged_bytes_never_raise_anything_but_import_problem(seed):
    rng = random.Random(seed)
    sources = [workbook({"S": [["id", "Nom"], [1, "a"]]}), "id;Nom\n1;Société\n".encode("utf-16")]
    data = bytearray(sources[seed % 2])
    for _ in range(20):
        data[rng.randrange(len(data))] = rng.randrange(256)
    try:
        read_file("damaged", bytes(data))
    except ImportProblem:
        pass
