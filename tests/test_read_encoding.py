"""Text that changes encoding midway, and lines that never end (issue 20, "bad input taken silently or named
wrongly"): a CSV is never decoded wrongly in whole, and a file without line breaks gets its real message.
"""
from __future__ import annotations

from collections import Counter

import pytest

from analytics.ingest.problems import ImportProblem
from analytics.ingest.read import SAMPLE_BYTES, read_file

HEADER = "ID;Commercial;Montant;Commentaire\n"


def utf8_rows(count: int) -> bytes:
    # 4 029 rows of about 72 bytes: 290 KB, past the 256 KB that are looked at before reading.
    return "".join(f"{i};Chloé Durand;{i};commentaire assez long pour remplir la ligne {i:06d}\n"
                   for i in range(count)).encode("utf-8")


def test_one_windows_1252_line_after_256_kb_leaves_the_utf8_rows_as_they_are():
    # 1 header line + 4 029 UTF-8 rows + 1 row written by a Windows-1252 tool (é is the single byte 0xE9).
    data = HEADER.encode() + utf8_rows(4_029) + "4029;Hélène Roux;5;ajoutée à la main\n".encode("cp1252")
    assert data.index("Hélène".encode("cp1252")) > SAMPLE_BYTES
    (sheet,) = read_file("export.csv", data)
    owners = Counter(sheet.table.column("Commercial").to_pylist())
    # Read whole as Windows-1252, 4 029 rows became "ChloÃ© Durand": here they keep their name, one rep.
    assert owners == {"Chloé Durand": 4_029, "Hélène Roux": 1}
    note = next(n for n in sheet.notes if n.key == "note.lines_cp1252")
    assert (note.rows, note.params["count"]) == ([4_031], 1)    # line 1 is the header: row 4 029 is line 4 031
    assert "4031" in note.render("fr")


def test_the_same_line_within_the_first_256_kb_is_read_the_same_way():
    data = HEADER.encode() + utf8_rows(10) + "10;Hélène Roux;5;x\n".encode("cp1252") + utf8_rows(2)
    (sheet,) = read_file("export.csv", data)
    assert Counter(sheet.table.column("Commercial").to_pylist()) == {"Chloé Durand": 12, "Hélène Roux": 1}
    assert next(n for n in sheet.notes if n.key == "note.lines_cp1252").rows == [12]   # header + 10 rows + 1


def test_a_windows_1252_file_is_still_one_encoding():
    data = (HEADER + "1;Hélène Roux;5;x\n2;Chloé Durand;7;y\n").encode("cp1252")
    (sheet,) = read_file("export.csv", data)
    assert sheet.table.column("Commercial").to_pylist() == ["Hélène Roux", "Chloé Durand"]
    assert [n.key for n in sheet.notes] == ["note.encoding"]
    assert sheet.notes[0].params == {"encoding": "Windows-1252"}


@pytest.mark.parametrize("size", [3 * 1024 * 1024, SAMPLE_BYTES + 1])
def test_a_file_without_any_line_break_says_so_not_that_it_is_empty(size):
    # The was 50 MB; anything past the 256 KB looked at first takes the same way.
    with pytest.raises(ImportProblem) as caught:
        read_file("champ.csv", b"ID;Nom;" + b"x" * size)
    assert caught.value.key == "problem.line_too_long"
    assert caught.value.note.rows == [1]
    assert "saut de ligne" in caught.value.render("fr") and "line break" in caught.value.render("en")


def test_a_field_longer_than_128_kb_is_named_with_its_line():
    # Header on line 1, a 3 MB field on line 2, a normal row on line 3.
    data = b"ID;Nom\n1;" + b"x" * (3 * 1024 * 1024) + b"\n2;y\n"
    with pytest.raises(ImportProblem) as caught:
        read_file("champ.csv", data)
    assert (caught.value.key, caught.value.note.rows) == ("problem.field_too_long", [2])
    assert "128 KB" in caught.value.render("fr")
