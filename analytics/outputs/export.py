"""Safe exports: tables as CSV bytes that a spreadsheet opens without running anything.

OWASP CSV injection: a cell that starts with = + - @, a tab, CR or LF can be taken for a formula by
Excel or LibreOffice, and so can one that starts with spaces before such a character (LibreOffice and
some Excel imports trim leading spaces before they parse). Such text cells get a leading single quote in
CSV; in xlsx they are written as text cells with the quote-prefix style (analytics/outputs/report.py), which keeps
the text exactly as typed. Numbers stay numbers (-5 is data).
"""
from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def formula_like(value) -> bool:
    """True for text that a spreadsheet could run as a formula: it starts with one of FORMULA_STARTS,
    after any leading spaces (a tab, CR or LF is itself a formula start)."""
    return isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS)


def neutralise(value):
    """The value, with a leading ' when it is text that a spreadsheet could run as a formula."""
    if formula_like(value):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of `df` whose text cells and column names are neutralised (for CSV)."""
    out = df.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_datetime64_any_dtype(out[col])):
            out[col] = out[col].map(neutralise, na_action="ignore")
    return out


def to_csv_bytes(df: pd.DataFrame, lang: str = "en") -> bytes:
    """UTF-8 CSV with a BOM (so that Excel reads accents right), formula-like text neutralised.

    In French, ';' separates the fields and ',' marks decimals, as French Excel expects when it opens a CSV."""
    sep, decimal = (";", ",") if lang == "fr" else (",", ".")
    return safe_frame(df).to_csv(index=False, sep=sep, decimal=decimal).encode("utf-8-sig")


def file_stem(*words: str) -> str:
    """A download's file name (without extension) from its title in the user's language: 'Entonnoir', 'Temps par
    étape' -> 'entonnoir_temps_par_etape'; 'Funnel', 'Time per stage' -> 'funnel_time_per_stage'. ASCII only (accents
    dropped), so every system saves it as written; never a path."""
    import re
    import unicodedata

    text = " ".join(w for w in words if w)
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")[:80] or "cockpit"


def rounded_frame(df: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """Numbers as a CSV keeps them, rounded half up (analytics/outputs/format.rounded): money to the cent, rates and
    ratios to 4 decimals, other numbers to 2. Numbers stay numbers; other columns as they are."""
    from analytics.outputs.format import rounded

    out = df.copy()
    for col, kind in kinds.items():
        if col not in out or kind in ("date", "text"):
            continue
        decimals = 4 if kind.startswith("rate") or kind in ("ratio", "points", "score") else 2
        out[col] = [rounded(v, decimals) for v in pd.to_numeric(out[col], errors="coerce")]
    return out
