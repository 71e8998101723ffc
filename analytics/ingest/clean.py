"""Amounts, percentages, dates and periods as the field writes them, turned into typed values.

The bulk work is SQL run by DuckDB over the raw text columns (a million rows in about a second); only the
decisions are taken in Python on samples: decimal comma or point, day-first or month-first dates, the scale of
a probability column. Each function returns an SQL expression over an already quoted column reference; the
expressions hold constants only, never user text.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

# Spaces of every kind (the narrow no-break space U+202F is Excel-FR's thousands separator),
# currency signs and the usual units written in amount cells.
# "k€" is not noise: "12 k€" means 12 000, and is refused as unreadable rather than read as 12.
_NOISE = r"(?i)[\s\x{00A0}\x{202F}\x{2009}€$£]|eur|usd|gbp|chf|\bht\b|ttc"


def _lit(value: bool) -> str:
    return "TRUE" if value else "FALSE"


def number_sql(col: str, decimal_comma: bool | None) -> str:
    """A DOUBLE from text such as '12 500,50 €', '1.250,00', '1,234.5', '-3 000', '(1 200)'.

    Per cell: when both separators appear, the last one is the decimal mark; a lone separator followed by
    exactly three digits in groups is a thousands separator unless the column's decimal mark is that one
    (decimal_comma None: the mark is unknown, so '1.500' is 1500 as '1,500' is; '0.500' stays 0.5).
    """
    dc = _lit(bool(decimal_comma))
    dot_thousands = _lit(decimal_comma is not False)
    dot_groups = "-?\\d{1,3}(\\.\\d{3})+" if decimal_comma else "-?[1-9]\\d{0,2}(\\.\\d{3})+"
    s = f"regexp_replace(regexp_replace(trim({col}), '{_NOISE}', '', 'g'), '^\\((.*)\\)$', '-\\1')"
    last_comma = f"(length({s}) - strpos(reverse({s}), ','))"
    last_dot = f"(length({s}) - strpos(reverse({s}), '.'))"
    normalized = (
        f"CASE WHEN strpos({s}, ',') > 0 AND strpos({s}, '.') > 0 THEN"
        f"  CASE WHEN {last_comma} > {last_dot} THEN replace(replace({s}, '.', ''), ',', '.')"
        f"  ELSE replace({s}, ',', '') END"
        f" WHEN strpos({s}, ',') > 0 THEN"
        f"  CASE WHEN NOT {dc} AND regexp_full_match({s}, '-?\\d{{1,3}}(,\\d{{3}})+') THEN replace({s}, ',', '')"
        f"  ELSE replace({s}, ',', '.') END"
        f" WHEN {dot_thousands} AND regexp_full_match({s}, '{dot_groups}') THEN replace({s}, '.', '')"
        f" ELSE {s} END"
    )
    general = f"TRY_CAST({normalized} AS DOUBLE)"
    # Fast path for the common cell: plain replace() calls (no regular expression) when the cell holds no
    # separator that could be a thousands mark in this column's convention. Only the usual thousands spaces are
    # removed there (each replace() is a pass over the column); a cell with a currency sign or a thin space fails
    # the cast and is read by the general path, which gives the same value.
    bare = col
    for noise in (" ", "\u202f", "\u00a0"):
        bare = f"replace({bare}, '{noise}', '')"
    if decimal_comma:
        fast = f"CASE WHEN strpos({col}, '.') = 0 THEN TRY_CAST(replace({bare}, ',', '.') AS DOUBLE) END"
    elif decimal_comma is None:  # either separator may be a thousands mark: the general path decides
        fast = f"CASE WHEN strpos({col}, ',') = 0 AND strpos({col}, '.') = 0 THEN TRY_CAST({bare} AS DOUBLE) END"
    else:
        fast = f"CASE WHEN strpos({col}, ',') = 0 THEN TRY_CAST({bare} AS DOUBLE) END"
    return f"CASE WHEN {fast} IS NOT NULL THEN {fast} ELSE {general} END"


def probability_sql(col: str, decimal_comma: bool | None, percent_scale: bool) -> str:
    """A probability in 0..1 from '50', '0,5', '50 %'. A value with '%' is always a percentage; the others
    follow the column's scale (percent_scale: some value of the column is above 1)."""
    value = number_sql(f"replace({col}, '%', '')", decimal_comma)
    scaled = f"CASE WHEN strpos({col}, '%') > 0 OR {_lit(percent_scale)} THEN {value} / 100.0 ELSE {value} END"
    return f"CASE WHEN {scaled} BETWEEN 0 AND 1 THEN {scaled} END"


# Tried after the day/month formats: "%Y" would also read "04" as the year 4.
_YEAR_FIRST_FORMATS = ["%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"]


def _formats(order: str) -> list[str]:
    day, month = ("%d", "%m") if order == "dmy" else ("%m", "%d")
    out = []
    for sep in ("/", "-", "."):
        for year in ("%y", "%Y"):  # %Y would read "26" as the year 26
            base = f"{day}{sep}{month}{sep}{year}"
            out += [base + " %H:%M:%S", base + " %H:%M", base]
    return out


def date_formats(order: str) -> list[str]:
    """The strptime formats tried, in order, for a column of the given day/month order."""
    return ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"] + _formats(order) + _YEAR_FIRST_FORMATS


def timestamp_sql(col: str, order: str, main_format: str | None = None) -> str:
    """A TIMESTAMP from ISO text, dd/mm/yyyy (order 'dmy') or mm/dd/yyyy ('mdy'), with or without time, or an
    Excel serial number (days since 1899-12-30, the fraction being the time of day). Years outside 1950-2150 are
    treated as unreadable: they are typing errors, not dates.

    main_format, the format most of the column is written in (see `main_date_format`), is tried first: a CASE
    (unlike COALESCE, which evaluates every branch) then skips the slow list of formats for those rows."""
    formats = "[" + ", ".join(f"'{f}'" for f in _formats(order) + _YEAR_FIRST_FORMATS) + "]"
    v = f"trim({col})"
    parsed = (
        f"CASE WHEN regexp_full_match({v}, '\\d{{5}}(\\.\\d+)?') THEN"
        f"  TIMESTAMP '1899-12-30' + to_microseconds(CAST(round(CAST({v} AS DOUBLE) * 86400000000) AS BIGINT))"
        f" WHEN regexp_matches({v}, '^\\d{{4}}-') THEN TRY_CAST({v} AS TIMESTAMP)"
        f" ELSE try_strptime({v}, {formats}) END"
    )
    general = f"CASE WHEN year({parsed}) BETWEEN 1950 AND 2150 THEN {parsed} END"
    if not main_format:
        return general
    main = f"try_strptime({v}, '{main_format}')"
    return f"CASE WHEN year({main}) BETWEEN 1950 AND 2150 THEN {main} ELSE {general} END"


def date_sql(col: str, order: str, main_format: str | None = None) -> str:
    return f"CAST({timestamp_sql(col, order, main_format)} AS DATE)"


def main_date_format(con, values: list[str], order: str) -> str | None:
    """The format that reads most of the sample (None when none reads any): the fast path of timestamp_sql."""
    if not values:
        return None
    best, best_count = None, 0
    for fmt in date_formats(order):
        count = con.execute("SELECT count(try_strptime(trim(v), ?)) FROM (SELECT unnest(?::VARCHAR[]) AS v)",
                            [fmt, values]).fetchall()[0][0]
        if count > best_count:
            best, best_count = fmt, count
    return best


def boolean_sql(col: str) -> str:
    v = f"lower(trim({col}))"
    return (
        f"CASE WHEN {v} IN ('1', 'true', 'vrai', 'oui', 'yes', 'y', 'o', 'x') THEN TRUE"
        f" WHEN {v} IN ('0', 'false', 'faux', 'non', 'no', 'n', '-') THEN FALSE END"
    )


def minutes_sql(col: str, decimal_comma: bool | None) -> str:
    """Duration in minutes from '45', '45 min', '1:30' (h:mm) or '1h30'."""
    v = f"lower(trim({col}))"
    hm = f"regexp_extract({v}, '^(\\d{{1,3}})\\s*[h:]\\s*(\\d{{1,2}})?', ['h', 'm'])"
    bare = f"regexp_replace({v}, 'minutes?|mn|min', '', 'g')"
    return (
        f"CASE WHEN regexp_matches({v}, '^\\d{{1,3}}\\s*[h:]\\s*\\d{{0,2}}(:\\d{{2}})?$') THEN"
        f"  CAST({hm}.h AS DOUBLE) * 60 + coalesce(TRY_CAST(nullif({hm}.m, '') AS DOUBLE), 0)"
        f" ELSE {number_sql(bare, decimal_comma)} END"
    )


def text_sql(col: str) -> str:
    """Text with inner runs of spaces folded ("Marie  Dupont" is the same rep as "Marie Dupont").

    Cells come from read.py already stripped, empty ones as NULL: only a cell holding two spaces in a row is
    rewritten (contains() is a plain substring search, and trim() on every cell costs more than all the rest)."""
    return (f"CASE WHEN contains({col}, '  ') THEN nullif(trim(regexp_replace({col}, '\\s+', ' ', 'g')), '')"
            f" ELSE {col} END")


# --- decisions taken on samples -------------------------------------------------------------------

_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})")


def date_order(values: list[str], language: str | None) -> tuple[str, bool]:
    """('dmy' | 'mdy', assumed): from values where one part is above 12, else from the file's language
    (French -> day first, English -> month first); `assumed` says the values could not tell."""
    dmy_possible = mdy_possible = True
    seen = False
    for value in values:
        m = _DMY.match(value or "")
        if not m:
            continue
        seen = True
        first, second = int(m.group(1)), int(m.group(2))
        if first > 12:
            mdy_possible = False
        if second > 12:
            dmy_possible = False
    if dmy_possible and not mdy_possible:
        return "dmy", False
    if mdy_possible and not dmy_possible:
        return "mdy", False
    return ("mdy" if language == "en" else "dmy"), seen


def percent_scale(numbers: list[float]) -> bool:
    """True when a probability column is written in percent (some value above 1)."""
    return any(n is not None and n > 1 for n in numbers)


_MONTHS = {
    "jan": 1, "janv": 1, "janvier": 1, "january": 1, "fev": 2, "fevr": 2, "fevrier": 2, "feb": 2, "february": 2,
    "mar": 3, "mars": 3, "march": 3, "avr": 4, "avril": 4, "apr": 4, "april": 4, "mai": 5, "may": 5,
    "juin": 6, "jun": 6, "june": 6, "juil": 7, "juillet": 7, "jul": 7, "july": 7, "aou": 8, "aout": 8, "aug": 8,
    "august": 8, "sep": 9, "sept": 9, "septembre": 9, "september": 9, "oct": 10, "octobre": 10, "october": 10,
    "nov": 11, "novembre": 11, "november": 11, "dec": 12, "decembre": 12, "december": 12,
}


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def parse_period(text: str | None) -> tuple[date, date] | None:
    """(first day, last day) of a month or a quarter written as '2026-03', '03/2026', 'mars 2026', '2026-03-01',
    'T1 2026', 'Q1 2026', '2026-Q1', '2026 T1', or an Excel serial date. None when unreadable."""
    if text is None:
        return None
    s = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower().strip()
    s = re.sub(r"\s+", " ", s)
    if re.fullmatch(r"\d{5}(\.0+)?", s):  # Excel serial date of the month's first day
        d = date(1899, 12, 30) + timedelta(days=int(float(s)))
        return date(d.year, d.month, 1), _month_end(d.year, d.month)
    m = re.fullmatch(r"(?:(\d{4})[ \-/]?)?[tq]([1-4])(?:[ \-/]?(\d{4}))?", s)
    if m and (m.group(1) or m.group(3)) and not (m.group(1) and m.group(3)):
        year, q = int(m.group(1) or m.group(3)), int(m.group(2))
        if not 1950 <= year <= 2150:  # as for months below (and date() refuses the year 0)
            return None
        return date(year, 3 * q - 2, 1), _month_end(year, 3 * q)
    m = re.fullmatch(r"(\d{4})[\-/.](\d{1,2})(?:[\-/.]\d{1,2})?(?: .*)?", s)
    if not m:
        m2 = re.fullmatch(r"(?:\d{1,2}[\-/.])?(\d{1,2})[\-/.](\d{4})(?: .*)?", s)
        m = m2 and (m2.group(2), m2.group(1))
    else:
        m = (m.group(1), m.group(2))
    if not m:
        m3 = re.fullmatch(r"([a-z]+)\.? (\d{4})", s)
        if m3 and m3.group(1) in _MONTHS:
            m = (m3.group(2), _MONTHS[m3.group(1)])
    if not m:
        return None
    year, month = int(m[0]), int(m[1])
    if not (1 <= month <= 12 and 1950 <= year <= 2150):
        return None
    return date(year, month, 1), _month_end(year, month)


_COMMA_DECIMAL = re.compile(r"\d,\d{1,2}(?!\d)")
_DOT_DECIMAL = re.compile(r"\d\.\d{1,2}(?!\d)")


def guess_decimal_comma(values: list[str]) -> bool | None:
    """True when the sample writes decimals with a comma ('12,50'), False with a point, None when it cannot tell."""
    comma = sum(1 for v in values if v and _COMMA_DECIMAL.search(v))
    dot = sum(1 for v in values if v and _DOT_DECIMAL.search(v))
    if comma == dot:
        return None
    return comma > dot
