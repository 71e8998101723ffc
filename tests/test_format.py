"""The one formatting module (analytics/outputs/format.py): each language's format, the workspace's currency, and
rounding half up on the page, the chart images and the slides alike (issue #16: 12,25 % must read 12,3 %)."""
from __future__ import annotations

import math
from datetime import date

import pytest

from analytics.outputs import charts, format as fmt

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize("value, decimals, expected", [
    (0.1225, 3, 0.123),   # 12,25 % to one decimal of a percent: half up, not to the even 0.122
    (5.25, 1, 5.3),       # the float 5.25 is exact; Python's round(5.25, 1) gives 5.2
    (2.5, 0, 3.0),        # round(2.5) is 2 in Python
    (-2.5, 0, -3.0),      # half away from zero on the negative side too
    (-0.4, 0, 0.0),       # never -0
])
def test_rounded_is_half_up(value, decimals, expected):
    assert fmt.rounded(value, decimals) == expected
    assert math.copysign(1, fmt.rounded(value, decimals)) == math.copysign(1, expected or 1.0)


def test_a_rate_of_12_25_percent_reads_12_3_on_screen_and_on_the_slide():
    # 49 won / 400 closed = 0.1225 -> 12.25 % -> one decimal, half up: 12.3
    rate = 49 / 400
    assert fmt.percent(rate, "fr") == f"12,3{NBSP}%"
    assert fmt.percent(rate, "en") == "12.3%"
    assert charts.figure_text(rate, "rate", "fr") == f"12,3{NBSP}%"   # the deck's key figures
    assert charts.figure_text(rate, "rate", "en") == "12.3%"


def test_money_on_the_slide_rounds_half_up_like_the_page():
    # 2 500,50 € : round() gives 2 500 (to even), a reader writes 2 501
    assert charts.figure_text(2500.5, "money", "fr") == f"2{NNBSP}501{NBSP}€"
    assert fmt.money(2500.5, "en") == "€2,501"


@pytest.mark.parametrize("currency, lang, expected", [
    ("EUR", "fr", f"12{NNBSP}500{NBSP}€"),
    ("EUR", "en", "€12,500"),
    ("USD", "en", "US$12,500"),
    ("GBP", "en", "£12,500"),
    ("CHF", "fr", f"12{NNBSP}500{NBSP}CHF"),
])
def test_money_is_written_in_the_workspace_currency(currency, lang, expected):
    assert fmt.money(12500, lang, currency=currency) == expected


@pytest.mark.parametrize("kind, value, fr, en", [
    ("money", 1134000, f"1{NNBSP}134{NNBSP}000{NBSP}€", "€1,134,000"),
    ("count", 19660, f"19{NNBSP}660", "19,660"),
    ("rate", 0.5882, f"58,8{NBSP}%", "58.8%"),
    ("rate0", 0.2584, f"26{NBSP}%", "26%"),
    ("decimal", 4.25, "4,3", "4.3"),
    ("score", 0.1255, "0,126", "0.126"),
    ("date", date(2026, 12, 6), "06/12/2026", "6 Dec 2026"),
    ("money", None, fmt.DASH, fmt.DASH),
    ("date", None, fmt.DASH, fmt.DASH),
])
def test_a_table_cell_reads_as_each_language_writes_it(kind, value, fr, en):
    assert fmt.cell(kind, value, "fr") == fr
    assert fmt.cell(kind, value, "en") == en


def test_the_chart_locale_puts_the_currency_where_the_language_does():
    assert fmt.d3_locale("fr", "EUR")["currency"] == ["", f"{NBSP}€"]
    assert fmt.d3_locale("en", "GBP")["currency"] == ["£", ""]


def test_an_import_note_writes_its_date_and_counts_in_the_language():
    from analytics.i18n import render_problem
    from analytics.ingest.problems import Note

    note = Note("note.snapshot_date", params={"date": "2026-12-04"})
    assert render_problem(note, "fr") == "Instantané daté du 04/12/2026."
    assert render_problem(note, "en") == "Snapshot dated 4 Dec 2026."


def test_numbers_are_written_as_babel_writes_them_for_every_size_sign_and_precision():
    """`number` writes Python's digits with the locale's signs: the same text as Babel's own pattern formatting
    (CLDR), over many values: small, large, negative, halves, every precision the pages use."""
    import random

    from babel.numbers import format_decimal

    rng = random.Random(7)
    values = [0, 0.5, -0.5, 1, -1, 999.5, 1000, -1000, 1234567.891, -1234567.891, 1e12, 2.675, 0.125,
              2.0 ** 60, -1e23, 999_999_999_999_999.0]
    values += [rng.uniform(-1e9, 1e9) for _ in range(300)] + [rng.uniform(-10, 10) for _ in range(300)]
    values += [float(rng.randint(-10**9, 10**9)) / 100 for _ in range(300)]
    for lang in ("fr", "en"):
        for decimals in (0, 1, 2, 3):
            pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
            for value in values:
                r = fmt.rounded(value, decimals)
                expected = format_decimal(r, format=pattern, locale=fmt.LOCALES[lang])
                assert fmt.number(value, lang, decimals) == expected, (value, lang, decimals)
    assert fmt.number(-1234567.5, "fr", 1) == "-1\u202f234\u202f567,5"
    assert fmt.number(-1234567.5, "en", 1) == "-1,234,567.5"
