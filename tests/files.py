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


def _ods_cell(value) -> str:
    from xml.sax.saxutils import escape

    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, bool):
        return (f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(value).lower()}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    if isinstance(value, (int, float)):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    if hasattr(value, "isoformat"):
        return (f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
                f"<text:p>{value.isoformat()}</text:p></table:table-cell>")
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'


def ods_bytes(sheets: dict[str, Sequence[Sequence[object]]], trailing_empty: bool = True,
              far_repeat: int = 0, far_rows: int = 0) -> bytes:
    """An OpenDocument spreadsheet as LibreOffice saves it: each sheet ends with an empty row repeated up to
    the 1 048 576th (trailing_empty). far_repeat > 0 adds a row whose one text cell is repeated that many
    columns, itself repeated that many rows: a tiny file describing a huge grid of content. far_rows > 0 adds
    one row of one text cell repeated that many rows (written with as many digits as it takes)."""
    from xml.sax.saxutils import quoteattr

    tables = []
    for name, rows in sheets.items():
        body = "".join("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>" for row in rows)
        if far_repeat:
            body += (f'<table:table-row table:number-rows-repeated="{far_repeat}">'
                     f'<table:table-cell table:number-columns-repeated="{far_repeat}" office:value-type="string">'
                     "<text:p>x</text:p></table:table-cell></table:table-row>")
        if far_rows:
            body += (f'<table:table-row table:number-rows-repeated="{far_rows}">'
                     '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
                     "</table:table-row>")
        if trailing_empty:
            body += (f'<table:table-row table:number-rows-repeated="{1048576 - len(rows)}">'
                     '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
        tables.append(f"<table:table table:name={quoteattr(name)}>"
                      f'<table:table-column table:number-columns-repeated="1024"/>{body}</table:table>')
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3">'
        f"<office:body><office:spreadsheet>{''.join(tables)}</office:spreadsheet></office:body>"
        "</office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>")
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


XLSX_PARTS = {
    "[Content_Types].xml":
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    "_rels/.rels":
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>',
    "xl/workbook.xml":
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Affaires" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels":
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
        '<Relationship Id="rId2" Target="sharedStrings.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>',
}


def raw_xlsx(sheet_data: str, strings: Sequence[str] = ()) -> bytes:
    """A one-sheet workbook ("Affaires") whose <sheetData> is written by hand: rows and cells with or without
    references, as hostile or odd writers make them; `strings` is the shared strings table."""
    import zipfile
    from xml.sax.saxutils import escape

    sheet = ('<?xml version="1.0" encoding="UTF-8"?>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f"<sheetData>{sheet_data}</sheetData></worksheet>")
    table = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, part in XLSX_PARTS.items():
            archive.writestr(name, part)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr("xl/sharedStrings.xml",
                         '<?xml version="1.0" encoding="UTF-8"?>'
                         '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         f"{table}</sst>")
    return out.getvalue()
