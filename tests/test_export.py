"""CSV exports never hand a spreadsheet a formula (OWASP CSV injection)."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from analytics.outputs.export import neutralise, to_csv_bytes


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+33 1 23", "'+33 1 23"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("\ncmd", "'\ncmd"),
        (" =1+1", "' =1+1"),  # spaces first: some imports trim them before they parse
        ("   @SUM(A1)", "'   @SUM(A1)"),
        ("  -2", "'  -2"),
        ("  plain", "  plain"),
        ("Acme = best", "Acme = best"),  # only the first character (after spaces) matters
        ("", ""),
        (-5, -5),  # a number is data, not a formula
        (None, None),
    ],
)
def test_neutralise(cell, expected):
    assert neutralise(cell) == expected


def test_to_csv_bytes():
    df = pd.DataFrame({"owner": ["=cmd|' /C calc'!A0", "Élodie"], "won_amount": [-1500.0, 2000.0]})
    raw = to_csv_bytes(df)
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the accents right
    back = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert list(back["owner"]) == ["'=cmd|' /C calc'!A0", "Élodie"]
    assert list(back["won_amount"]) == [-1500.0, 2000.0]
    assert df.loc[0, "owner"].startswith("=")  # the caller's frame is left as it was


def test_column_names_are_neutralised_too():
    raw = to_csv_bytes(pd.DataFrame({"=x": [1]}))
    assert raw.decode("utf-8-sig").splitlines()[0] == "'=x"


def test_french_csv_uses_semicolons_and_decimal_commas():
    raw = to_csv_bytes(pd.DataFrame({"Commercial": ["Élodie"], "Gagné (€)": [1500.5]}), "fr")
    assert raw.decode("utf-8-sig").splitlines() == ["Commercial;Gagné (€)", "Élodie;1500,5"]
