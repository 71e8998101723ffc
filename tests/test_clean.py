"""Amounts, probabilities, dates, durations and periods as the field writes them."""
from datetime import date, datetime

import duckdb
import pytest

from analytics.ingest import clean


@pytest.fixture(scope="module")
def con():
    return duckdb.connect()


def one(con, expr: str, value):
    return con.execute(f"SELECT {expr} FROM (SELECT ?::VARCHAR AS x)", [value]).fetchone()[0]


@pytest.mark.parametrize("text, decimal_comma, expected", [
    ("12 500,50 €", True, 12500.5),
    ("12\u202f500,50", True, 12500.5),  # narrow no-break space, Excel-FR
    ("12\u00a0500", True, 12500.0),
    ("12\u2009500,5", True, 12500.5),  # thin space: left to the general path, same value
    ("€ 3 000", True, 3000.0),
    ("£250", False, 250.0),
    ("1.250,00", True, 1250.0),
    ("1,234.5", False, 1234.5),
    ("1,234", False, 1234.0),  # thousands comma in an English file
    ("1,234", True, 1.234),  # decimal comma in a French file
    ("1.234", True, 1234.0),  # thousands dot in a French file
    ("0,35", None, 0.35),
    ("-3 000", True, -3000.0),
    ("(1 200)", True, -1200.0),
    ("5 000 EUR HT", True, 5000.0),
    ("$1,200.00", False, 1200.0),
    ("0", True, 0.0),
    ("abc", True, None),
    ("12abc", True, None),
    ("N/A", True, None),
    # Decimal mark unknown (no cell of the column told): a lone separator before groups of three digits is a
    # thousands mark, the dot as the comma ("1,500" already gave 1500).
    ("1.500", None, 1500.0),
    ("25.000", None, 25000.0),
    ("1.250.000", None, 1250000.0),
    ("1,500", None, 1500.0),
    ("12.5", None, 12.5),
    ("0.500", None, 0.5),  # a leading 0 is no thousands group
    ("1.500", False, 1.5),  # the column's decimal mark is the dot: a decimal
    ("12 k€", True, None),  # thousands of euros: refused (read as 12 it would be 1000 times too small)
])
def test_number(con, text, decimal_comma, expected):
    assert one(con, clean.number_sql("x", decimal_comma), text) == expected


@pytest.mark.parametrize("text, percent_scale, expected", [
    ("50", True, 0.5),
    ("50 %", False, 0.5),  # a '%' always means percent
    ("50%", True, 0.5),
    ("0,5", False, 0.5),
    ("0.25", False, 0.25),
    ("100", True, 1.0),
    ("150", True, None),  # above 100 % is not a probability
    ("haut", True, None),
])
def test_probability(con, text, percent_scale, expected):
    assert one(con, clean.probability_sql("x", True, percent_scale), text) == expected


@pytest.mark.parametrize("text, order, expected", [
    ("04/03/2026", "dmy", datetime(2026, 3, 4)),
    ("04/03/2026", "mdy", datetime(2026, 4, 3)),
    ("4/3/2026 10:30", "dmy", datetime(2026, 3, 4, 10, 30)),
    ("04.03.2026 10:30:15", "dmy", datetime(2026, 3, 4, 10, 30, 15)),
    ("04-03-26", "dmy", datetime(2026, 3, 4)),
    ("2026-03-04", "mdy", datetime(2026, 3, 4)),
    ("2026-03-04T10:30:00Z", "dmy", datetime(2026, 3, 4, 10, 30)),
    ("2026/03/04", "dmy", datetime(2026, 3, 4)),
    ("46085", "dmy", datetime(2026, 3, 4)),  # Excel serial: 46085 days after 1899-12-30
    ("46085.5", "dmy", datetime(2026, 3, 4, 12)),
    ("13/13/2026", "dmy", None),
    ("01/01/0026", "dmy", None),  # a typing error, not the year 26
    ("bientôt", "dmy", None),
])
def test_timestamp(con, text, order, expected):
    assert one(con, clean.timestamp_sql("x", order), text) == expected
    # The fast path (the column's main format tried first) reads every value the same way.
    main = "%d/%m/%Y" if order == "dmy" else "%m/%d/%Y"
    assert one(con, clean.timestamp_sql("x", order, main), text) == expected


def test_main_date_format_is_the_one_that_reads_most(con):
    values = ["04/03/2026", "05/03/2026 10:30", "2026-03-06", "06/03/2026"]
    assert clean.main_date_format(con, values, "dmy") == "%d/%m/%Y"
    assert clean.main_date_format(con, ["2026-03-06 10:00:00"] * 3, "dmy") == "%Y-%m-%d %H:%M:%S"
    assert clean.main_date_format(con, ["n/a"], "dmy") is None


def test_date_drops_the_time(con):
    assert one(con, clean.date_sql("x", "dmy"), "04/03/2026 23:59") == date(2026, 3, 4)


@pytest.mark.parametrize("text, expected", [
    ("45", 45.0), ("45 min", 45.0), ("1:30", 90.0), ("1h30", 90.0), ("2h", 120.0), ("30,5", 30.5), ("long", None),
])
def test_minutes(con, text, expected):
    assert one(con, clean.minutes_sql("x", True), text) == expected


@pytest.mark.parametrize("text, expected", [
    ("Oui", True), ("x", True), ("TRUE", True), ("1", True), ("Non", False), ("0", False), ("peut-être", None),
])
def test_boolean(con, text, expected):
    assert one(con, clean.boolean_sql("x"), text) is expected


def test_text_folds_spaces_and_empties(con):
    assert one(con, clean.text_sql("x"), "  Marie   Dupont ") == "Marie Dupont"
    assert one(con, clean.text_sql("x"), "   ") is None


@pytest.mark.parametrize("values, language, expected", [
    (["04/03/2026", "25/03/2026"], "en", ("dmy", False)),  # 25 can only be a day
    (["03/25/2026", "04/03/2026"], "fr", ("mdy", False)),
    (["04/03/2026", "05/06/2026"], "fr", ("dmy", True)),  # cannot tell: French file -> day first, said
    (["04/03/2026", "05/06/2026"], "en", ("mdy", True)),
    (["2026-03-04"], "en", ("mdy", False)),  # ISO only: nothing to assume
])
def test_date_order(values, language, expected):
    assert clean.date_order(values, language) == expected


@pytest.mark.parametrize("values, expected", [
    (["12,50", "3 000,00"], True),
    (["12.50", "3,000.00"], False),
    (["1200", "300"], None),
])
def test_guess_decimal_comma(values, expected):
    assert clean.guess_decimal_comma(values) is expected


@pytest.mark.parametrize("text, expected", [
    ("2026-03", (date(2026, 3, 1), date(2026, 3, 31))),
    ("03/2026", (date(2026, 3, 1), date(2026, 3, 31))),
    ("mars 2026", (date(2026, 3, 1), date(2026, 3, 31))),
    ("Février 2024", (date(2024, 2, 1), date(2024, 2, 29))),
    ("2026-03-01", (date(2026, 3, 1), date(2026, 3, 31))),
    ("01/03/2026", (date(2026, 3, 1), date(2026, 3, 31))),
    ("T1 2026", (date(2026, 1, 1), date(2026, 3, 31))),
    ("Q4 2026", (date(2026, 10, 1), date(2026, 12, 31))),
    ("2026-Q2", (date(2026, 4, 1), date(2026, 6, 30))),
    ("46082", (date(2026, 3, 1), date(2026, 3, 31))),
    ("13/2026", None),
    ("bientôt", None),
    ("T1 0000", None),  # no year 0: unreadable, not an exception
    ("Q2 1900", None),  # out of the years a month is read in (1950-2150)
])
def test_parse_period(text, expected):
    assert clean.parse_period(text) == expected
