"""Numbers, money, percents and dates as a reader of each language writes them (Babel), in one place.

Every page, table and chart label goes through here: no number or date is formatted by hand in a page.
Functions take the language explicitly (they also run off the script thread, in download callbacks);
an undefined value (None, NaN) is written as a dash.
"""
from __future__ import annotations

import math
from datetime import date, datetime

from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal

DASH = "—"
LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def defined(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _locale(lang: str) -> str:
    return LOCALES.get(lang, "fr_FR")


def number(value, lang: str, decimals: int = 0, signed: bool = False) -> str:
    """12 500 / 12 500,5 in French (narrow no-break spaces, decimal comma), 12,500.5 in English.
    A value that rounds to zero is written 0, never -0 or +0."""
    if not defined(value):
        return DASH
    value = round(float(value), decimals) or 0.0
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    text = format_decimal(value, format=pattern, locale=_locale(lang))
    return ("+" + text) if signed and value > 0 else text


def money(value, lang: str, signed: bool = False, decimals: int = 0) -> str:
    """15 160 400 € in French, €15,160,400 in English (whole euros unless asked)."""
    if not defined(value):
        return DASH
    text = number(abs(float(value)), lang, decimals)
    sign = "-" if round(float(value), decimals) < 0 else ("+" if signed and round(float(value), decimals) > 0 else "")
    return f"{sign}{text}\u00a0€" if lang == "fr" else f"{sign}€{text}"


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


def d3_locale(lang: str) -> dict:
    """The number format locale for Vega charts (chart axes group thousands as the language does)."""
    if lang == "fr":
        return {"decimal": ",", "thousands": "\u202f", "grouping": [3], "currency": ["", "\u00a0€"]}
    return {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["€", ""]}
