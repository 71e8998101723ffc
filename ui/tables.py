"""The one table helper every page uses: `table(df, ...)`.

Numbers stay numbers (a column sorts as numbers): the screen shows them through a pandas Styler whose text is
written by the formatting module (analytics/outputs/format.py: the language's separators, the workspace's
currency, half-up rounding), while the cells keep their values; Streamlit shows a Styler's text on a number
column that has no format of its own (NumberColumn's `format` is printf-style or the *browser's* locale
("localized"), neither of which can write a French decimal comma for a French user on an English browser).
Headers and their help texts come from the string tables; the first column is pinned; each column is as wide as
its header and its longest value; the table is as tall as its rows (up to MAX_VISIBLE_ROWS). Under it, CSV and
Excel buttons (ui/downloads.py) whose file names are the table's title in the user's language.

    tables.table(df, "reps", kinds={"amount": "money", "win_rate": "rate"}, labels="flash.col",
                 title=tr("flash.reps.title"))
"""
from __future__ import annotations

from typing import Callable

import pandas as pd
import streamlit as st

from analytics.i18n import STRINGS, t
from analytics.outputs import format as core
from analytics.outputs.export import file_stem, rounded_frame
from ui import downloads, state
from ui import format as fmt

DERIVED_KEY = r"^K-[0-9a-f]{12}$"  # analytics/ingest/importer.derived_key_sql: account + name + created date, hashed
SHOWN_ROWS = 200  # a list is read from the top; the downloads hold every row
MAX_VISIBLE_ROWS = 25  # taller tables scroll inside their frame
ROW_PX, HEADER_PX = 35, 38
NUMBER_KINDS = {"money", "count", "rate", "rate0", "points", "ratio", "decimal", "days", "hours", "score",
                "signed_money", "signed_count"}
# the pack's Excel number formats (analytics/outputs/report.number_format) for each cell kind
XLSX_KINDS = {"rate0": "rate", "score": "number", "signed_money": "money_change", "signed_count": "count_change",
              "days": "count"}


def table_height(rows: int) -> int:
    """Pixels for a table showing every row up to MAX_VISIBLE_ROWS (Streamlit's default shows about 10)."""
    return HEADER_PX + ROW_PX * max(1, min(rows, MAX_VISIBLE_ROWS))


def header_labels(columns, labels: str | dict[str, str] | None, lang: str) -> dict[str, str]:
    """Each column's header: from a dict, or the string table's `<prefix>.<column>` when `labels` is a prefix."""
    if isinstance(labels, dict):
        return {c: labels.get(c, c) for c in columns}
    prefix = labels or "col"
    return {c: t(f"{prefix}.{c}", lang) for c in columns}


def header_helps(columns, labels: str | dict[str, str] | None, helps: dict[str, str] | None,
                 lang: str) -> dict[str, str]:
    """Each column's tooltip: `helps`, else the string table's `<prefix>.<column>.help` when it exists."""
    out = dict(helps or {})
    if isinstance(labels, str):
        for c in columns:
            key = f"{labels}.{c}.help"
            if c not in out and key in STRINGS["fr"]:
                out[c] = t(key, lang)
    return out


def _width(header: str, texts: list[str]) -> int:
    """Pixels for a column: its header (bold, with the sort arrow) or its longest value, whichever is wider."""
    longest = max([len(x) for x in texts] + [0])
    return int(min(360, max(60, 7.5 * max(len(header) + 3, longest) + 24)))


def screen_frame(df: pd.DataFrame, kinds: dict[str, str], lang: str, currency: str,
                 written: dict[str, dict] | None = None):
    """The Styler the screen shows: each column of `kinds` written by the formatting module, a dash when unknown.
    `written`: column -> {value: text} already computed (the widths need them too): each value is written once."""
    def formatter(col, kind):
        known = (written or {}).get(col, {})
        return lambda v: known[v] if v in known else core.cell(kind, v, lang, currency)

    formatters = {c: formatter(c, k) for c, k in kinds.items() if c in df}
    return df.style.format(formatters, na_rep=core.DASH).hide(axis="index")


def table(df: pd.DataFrame, key: str, *, kinds: dict[str, str] | None = None,
          labels: str | dict[str, str] | None = None, helps: dict[str, str] | None = None,
          title: str | None = None, page: str | None = None, words: Callable[[pd.DataFrame, str], pd.DataFrame] | None = None,
          every_row: Callable[[], pd.DataFrame] | None = None, total: int | None = None,
          style: Callable | None = None, shown_rows: int = SHOWN_ROWS, downloads_on: bool = True,
          row_kinds: dict[str, list[str]] | None = None) -> None:
    """Draw `df` as a sortable table with its CSV and Excel buttons.

    kinds: column -> cell kind (analytics.outputs.format.CELL_KINDS); other columns are shown as they are.
    labels: a string-table prefix ('flash.col') or a dict of headers; helps: tooltips by column.
    title, page: the file names' words (the table's title and the page's, in the user's language).
    words: codes -> the reader's words (stages, reasons), given the language; runs for the screen and, on the click
    (off the script thread), for the files. every_row/total: when `df` holds the first rows only.
    style: a function given the Styler (colours), returning it.
    row_kinds: column -> one kind per row, for a column whose rows mix units (a rate row among amounts).
    """
    lang, kinds = state.lang(), dict(kinds or {})
    currency = fmt.currency()
    total = len(df) if total is None else total
    if total > shown_rows:
        st.caption(t("table.first_rows", lang, shown=fmt.number(shown_rows, lang), total=fmt.number(total, lang)))
    head = df.head(shown_rows)
    shown = words(head, lang) if words else head.copy()
    if "opportunity_id" in shown:  # a derived key means nothing to a reader: the deal's name and account say it
        ids = shown["opportunity_id"].astype("string")
        shown["opportunity_id"] = ids.where(~ids.str.match(DERIVED_KEY).fillna(False), core.DASH)
    for col, kind in kinds.items():  # numbers stay numbers: a text cell would sort alphabetically
        if col in shown and kind in NUMBER_KINDS:
            shown[col] = pd.to_numeric(shown[col], errors="coerce")
    heads = header_labels(df.columns, labels, lang)
    tips = header_helps(df.columns, labels, helps, lang)
    written = {c: {v: core.cell(k, v, lang, currency) for v in shown[c].dropna().unique()}
               for c, k in kinds.items() if c in shown}
    styler = screen_frame(shown, kinds, lang, currency, written)
    for col, per_row in (row_kinds or {}).items():
        if col not in shown:
            continue
        shown[col] = pd.to_numeric(shown[col], errors="coerce")
        for position, kind in enumerate(per_row[:len(shown)]):
            styler = styler.format(lambda v, k=kind: core.cell(k, v, lang, currency), na_rep=core.DASH,
                                   subset=pd.IndexSlice[shown.index[position:position + 1], [col]])
    if style is not None:
        styler = style(styler)
    config = {}
    for i, col in enumerate(shown.columns):
        if col in (row_kinds or {}):
            texts = [core.cell(k, v, lang, currency) for k, v in zip(row_kinds[col], shown[col])]
        elif col in kinds:
            texts = list(written[col].values()) + ([core.DASH] if shown[col].isna().any() else [])
        else:
            texts = [str(v) for v in shown[col] if v is not None]
        options = dict(label=heads[col], help=tips.get(col), width=_width(heads[col], texts),
                       pinned=True if i == 0 else None)
        if kinds.get(col) in NUMBER_KINDS or col in (row_kinds or {}):
            config[col] = st.column_config.NumberColumn(**options)
        else:
            config[col] = st.column_config.Column(**options)
    st.dataframe(styler, hide_index=True, column_config=config, key=f"{key}_table", height=table_height(len(shown)),
                 placeholder=core.DASH)
    if not downloads_on:
        return
    xlsx_kinds = {c: XLSX_KINDS.get(k, k) for c, k in kinds.items()}

    def prepare(frame: pd.DataFrame) -> pd.DataFrame:  # on the click, off the script thread: no Streamlit here
        rows = every_row()[list(df.columns)] if every_row is not None else frame
        return rounded_frame(words(rows, lang) if words else rows, kinds)

    downloads.table_buttons(df, key, file_stem(page or "", title or key), heads, xlsx_kinds, prepare=prepare,
                            title=title)
