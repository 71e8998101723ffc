"""What the two review pages share: tables with their CSV download, value formatting by kind, charts' number
formats, and the "not available yet" block. Numbers go through ui/format.py; user text is never HTML."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics.i18n import t
from ui import format as fmt
from ui import charts, state, tables

tr = state.tr
SHOWN_ROWS = 200  # a list is read from the top; the CSV holds every row

# Columns by kind: how the table shows them and how the CSV rounds them.
MONEY = {"amount", "won_amount", "lost_amount", "weighted", "amount_before", "quota", "rep", "team", "gap",
         "expected_segment", "volume_segment", "explained_segment", "remaining_segment", "expected_region", "expected_in_target",
         "rep_won_amount", "team_won_amount", "team_basket", "expected_amount", "open_amount", "weighted_pipeline",
         "average_basket", "min", "q1", "median", "q3", "max"}
RATE = {"probability", "win_rate", "team_win_rate", "share", "rep_share", "team_share", "attainment",
        "quota_attainment", "ratio"}
POINTS = {"score", "points_weighted_value", "points_age_in_stage", "points_close_date_passed",
          "points_slipped_twice", "points_amount_cut", "expected_won"}
DATES = {"close_date", "outcome_date", "month", "hire_date"}


def label(column: str, lang: str | None = None) -> str:
    return t(f"review.col.{column}", lang or state.lang())


def kinds_of(df: pd.DataFrame, kinds: dict[str, str] | None = None) -> dict[str, str]:
    """Each column's cell kind (analytics/outputs/format.CELL_KINDS): `kinds`, else by the column's name."""
    out = {}
    for col in df.columns:
        kind = (kinds or {}).get(col) or ("money" if col in MONEY else "rate" if col in RATE else
                                          "decimal" if col in POINTS else "date" if col in DATES else None)
        if kind == "points":
            kind = "decimal"
        if kind and kind != "bool":
            out[col] = kind
    return out


def translated(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Codes shown in the user's words: stages, KPI and metric keys."""
    out = df.copy()
    if "stage" in out:
        out["stage"] = out["stage"].map(lambda s: t(f"stage.{s}", lang) if isinstance(s, str) else s)
    for col in ("kpi", "metric"):
        if col in out:
            out[col] = out[col].map(lambda k: t(f"review.kpi.{k}", lang))
    return out


def table(df: pd.DataFrame, key: str, title: str, kinds: dict[str, str] | None = None,
          shown_rows: int = SHOWN_ROWS, row_kinds: dict[str, list[str]] | None = None) -> None:
    """The review pages' tables through the one table helper (ui/tables.py): headers from review.col.*, the
    first rows on screen, every row in the CSV and Excel files named after `title`."""
    own = {c: k for c, k in kinds_of(df, kinds).items() if c not in (row_kinds or {})}
    # a mixed column's rows: rates to 4 decimals in the files, like every rate
    tables.table(df, key, kinds=own, labels="review.col", title=title,
                 words=translated, shown_rows=shown_rows, row_kinds=row_kinds)


def value_text(kind: str, value) -> str:
    lang = state.lang()
    if kind == "money":
        return fmt.money(value, lang)
    if kind == "rate":
        return fmt.percent(value, lang, 0)
    if kind == "cover":
        return fmt.ratio(value, lang, 1)
    if kind == "days":
        return fmt.number(value, lang)
    return fmt.number(value, lang)


def needs_sheet(sheet: str) -> None:
    st.info(tr("review.add_sheet", sheet=tr(f"table.{sheet}")))


def number_format(kind: str) -> str:
    """A d3 format for a chart axis of this kind (the chart's locale groups thousands as the language does)."""
    return {"money": ",.0f", "rate": ".0%", "cover": ".1f"}.get(kind, ",.0f")


def chart(c, key: str, title: str, page: str, height: int | None = None) -> None:
    """A review chart through the one chart helper (ui/charts.py): the language's locale, PNG and SVG; its files
    named after the page and the chart's title."""
    charts.chart(c, key, title=title, page=page, height=height)
