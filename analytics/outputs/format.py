"""Numbers, money, percents and dates as a reader of each language writes them (Babel), in one place.

Pages (through ui/format.py, which binds the session's language and workspace currency), chart images, the
review pack, the deck and the CLI's text all write numbers here: no number or date is formatted by hand elsewhere.
No Streamlit here. Functions take the language (and the currency) explicitly; an undefined value (None, NaN) is
written as a dash. Rounding is half up everywhere (12,25 % -> 12,3 %, as a reader rounds), never Python's
half to even: every rounding goes through `rounded`.
"""
from __future__ import annotations

import functools
import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal, get_currency_symbol, get_decimal_symbol, get_group_symbol, get_minus_sign_symbol

DASH = "—"
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def defined(value) -> bool:
    """False for None, NaN, pandas' NA and NaT: what is unknown is written as a dash, never as 0."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return type(value).__name__ not in ("NAType", "NaTType")


def _locale(lang: str) -> str:
    return LOCALES.get(lang, "fr_FR")


def rounded(value, decimals: int = 0) -> float | None:
    """`value` rounded half up (away from zero) to `decimals`, from its shortest decimal text: 0.1225 -> 0.123 at
    3 decimals, 5.25 -> 5.3 at 1 (Python's round gives 5.2 from the float 5.25); None when undefined. A value that
    rounds to zero is 0.0, never -0.0."""
    if not defined(value):
        return None
    return float(Decimal(str(float(value))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)) or 0.0


def number(value, lang: str, decimals: int = 0, signed: bool = False) -> str:
    """12 500 / 12 500,5 in French (narrow no-break spaces, decimal comma), 12,500.5 in English.
    A value that rounds to zero is written 0, never -0 or +0."""
    if not defined(value):
        return DASH
    value = rounded(value, decimals)
    if abs(value) < 1e15:  # Python's digits of the float are its shortest text up to there
        text = f"{value:,.{decimals}f}".translate(_number_symbols(_locale(lang)))
    else:
        text = format_decimal(value, format="#,##0" + ("." + "0" * decimals if decimals else ""),
                              locale=_locale(lang))
    return ("+" + text) if signed and value > 0 else text


@functools.lru_cache(maxsize=None)
def _number_symbols(locale: str) -> dict[int, str]:
    """Python's `,` `.` `-` -> the locale's group, decimal and minus signs (Babel's CLDR data): the value is
    already rounded, so Python writes its digits and only the signs are the locale's (Babel's pattern
    formatting gives the same text, ten times slower: thousands of table cells per page)."""
    return {ord(","): get_group_symbol(locale), ord("."): get_decimal_symbol(locale),
            ord("-"): get_minus_sign_symbol(locale)}


DEFAULT_CURRENCY = "EUR"


@functools.lru_cache(maxsize=256)
def currency_symbol(currency: str | None, lang: str) -> str:
    """€, $, £, CHF... as the language writes the workspace's currency (store.workspace_currency)."""
    return get_currency_symbol((currency or DEFAULT_CURRENCY).upper(), locale=_locale(lang))


def money(value, lang: str, signed: bool = False, decimals: int = 0, currency: str | None = None) -> str:
    """15 160 400 € in French, €15,160,400 in English (whole units unless asked), in the workspace's currency
    (euros unless given)."""
    if not defined(value):
        return DASH
    text = number(abs(float(value)), lang, decimals)
    whole = rounded(value, decimals)
    sign = "-" if whole < 0 else ("+" if signed and whole > 0 else "")
    symbol = currency_symbol(currency, lang)
    return f"{sign}{text}\u00a0{symbol}" if lang == "fr" else f"{sign}{symbol}{text}"


def percent(value, lang: str, decimals: int = 1, signed: bool = False) -> str:
    """A share (0.123) as 12,3 % in French, 12.3% in English."""
    if not defined(value):
        return DASH
    text = number(100 * float(value), lang, decimals, signed)
    return f"{text}\u00a0%" if lang == "fr" else f"{text}%"


def points(value, lang: str, decimals: int = 1) -> str:
    """A change of a rate (0.146) as +14,6 pts / +14.6 pts."""
    if not defined(value):
        return DASH
    return f"{number(100 * float(value), lang, decimals, signed=True)}\u00a0pts"


def ratio(value, lang: str, decimals: int = 2) -> str:
    """A coverage or multiple as 2,35× / 2.35×."""
    if not defined(value):
        return DASH
    return f"{number(value, lang, decimals)}\u00a0×"


def day(value, lang: str) -> str:
    """23/11/2026 in French, 23 Nov 2026 in English."""
    if value is None:
        return DASH
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return str(value)
    return _babel_date(value, "dd/MM/yyyy" if lang == "fr" else "d MMM yyyy", locale=_locale(lang))


def month(value, lang: str) -> str:
    """nov. 2026 / Nov 2026."""
    if value is None:
        return DASH
    return _babel_date(value, "MMM yyyy", locale=_locale(lang))


def d3_locale(lang: str, currency: str | None = None) -> dict:
    """The number format locale for Vega charts (chart axes group thousands as the language does; `$` in a d3
    format writes the workspace's currency where the language puts it)."""
    symbol = currency_symbol(currency, lang)
    if lang == "fr":
        return {"decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["", "\u00a0" + symbol]}
    return {"decimal": ".", "thousands": ",", "grouping": [3], "currency": [symbol, ""]}


def short_day(value, lang: str) -> str:
    """04/05 in French, 4 May in English (a week's label on a chart)."""
    if value is None:
        return DASH
    return _babel_date(value, "dd/MM" if lang == "fr" else "d MMM", locale=_locale(lang))


def span(start, end, lang: str) -> str:
    """A date range as a reader says it: 'du 01/04/2026 au 20/04/2026' / '1 Apr 2026 to 20 Apr 2026', and one day
    as 'le 01/04/2026' / '1 Apr 2026' (never 'from 01/04 to 01/04')."""
    from analytics.i18n import t

    if start == end:
        return t("format.one_day", lang, day=day(start, lang))
    return t("format.span", lang, start=day(start, lang), end=day(end, lang))


# --- KPI values and changes, by the registry's kinds and delta rules (analytics/measures/kpis.py) ----------------------

def kpi_value(kind: str, value, lang: str, currency: str | None = None) -> str:
    """A KPI's value by its kind: count 12, money 12 500 €, rate 12,3 %, days 37 j, hours 5,3 h, ratio 0,42 ×."""
    from analytics.i18n import t

    if not defined(value):
        return DASH
    if kind == "money":
        return money(value, lang, currency=currency)
    if kind == "rate":
        return percent(value, lang, 1)
    if kind == "days":
        return t("flash.unit.days", lang, value=number(value, lang))
    if kind == "hours":
        return t("flash.unit.hours", lang, value=number(value, lang, 1))
    if kind == "ratio":
        return ratio(value, lang)
    return number(value, lang)


def kpi_delta(kind: str, delta_rule: str, now, before, lang: str, currency: str | None = None) -> str | None:
    """The change against the comparison period by the KPI's delta rule: points for rates, relative % for
    amounts and hours (the difference itself when the comparison is 0), plain difference for counts and days;
    None when a side is undefined or the rule is "none"."""
    from analytics.i18n import t

    if delta_rule == "none" or not (defined(now) and defined(before)):
        return None
    diff = float(now) - float(before)
    if delta_rule == "points":
        return points(diff, lang)
    if delta_rule == "relative":
        if float(before):
            return percent(diff / abs(float(before)), lang, 0, signed=True)
        if kind == "money":
            return money(diff, lang, signed=True, currency=currency)
        return t("flash.unit.hours", lang, value=number(diff, lang, 1, signed=True))
    if kind == "days":
        return t("flash.unit.days", lang, value=number(diff, lang, 0, signed=True))
    return number(diff, lang, 0, signed=True)


def frame(df, kinds: dict[str, str], lang: str, currency: str | None = None):
    """A table made for reading: each column of `kinds` (count, money, rate, days, hours, ratio, date, decimal)
    written as text by this module; other columns as they are. The CSV keeps the numbers."""
    out = df.copy()
    for column, kind in kinds.items():
        if column not in out:
            continue
        if kind == "date":
            out[column] = [day(v, lang) if defined(v) and not _is_nat(v) else DASH for v in out[column]]
        elif kind == "decimal":
            out[column] = [number(v, lang, 1) for v in out[column]]
        elif kind in ("days", "count"):
            out[column] = [number(v, lang) for v in out[column]]
        else:
            out[column] = [kpi_value(kind, v, lang, currency) for v in out[column]]
    return out


def _is_nat(value) -> bool:
    return type(value).__name__ == "NaTType"


def month_name(month: int, lang: str) -> str:
    """janvier / January."""
    return _babel_date(date(2000, int(month), 1), "LLLL", locale=_locale(lang))


# --- table cells, by kind (ui/tables.py shows them; the numbers underneath stay numbers) ------------------------------

CELL_KINDS = ("money", "count", "rate", "rate0", "points", "ratio", "decimal", "days", "hours", "score", "date",
              "signed_money", "signed_count")


def cell(kind: str, value, lang: str, currency: str | None = None) -> str:
    """One table cell as text by its kind: money 12 500 €, count 1 234, rate 12,3 % (rate0: 12 %), points +4,5 pts,
    ratio 2,35 ×, decimal and hours 5,3, score 0,125, date 23/11/2026; a dash when undefined."""
    if kind == "date":
        return DASH if not defined(value) or _is_nat(value) else day(value, lang)
    if not defined(value):
        return DASH
    if kind == "money":
        return money(value, lang, currency=currency)
    if kind == "signed_money":
        return money(value, lang, signed=True, currency=currency)
    if kind == "rate":
        return percent(value, lang, 1)
    if kind == "rate0":
        return percent(value, lang, 0)
    if kind == "points":
        return points(value, lang)
    if kind == "ratio":
        return ratio(value, lang)
    if kind in ("decimal", "hours"):
        return number(value, lang, 1)
    if kind == "score":
        return number(value, lang, 3)
    if kind == "signed_count":
        return number(value, lang, signed=True)
    return number(value, lang)
