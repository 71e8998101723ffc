"""What the two review pages share: tables with their CSV download, value formatting by kind, charts' number
formats, and the "not available yet" block. Numbers go through ui/format.py; user text is never HTML."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from analytics.outputs.export import to_csv_bytes
from analytics.i18n import t
from ui import format as fmt
from ui import state

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


def _column_config(df: pd.DataFrame, kinds: dict[str, str] | None) -> dict:
    config = {}
    for col in df.columns:
        kind = (kinds or {}).get(col) or ("money" if col in MONEY else "rate" if col in RATE else
                                          "points" if col in POINTS else "date" if col in DATES else None)
        name = label(col)
        if kind == "money":
            config[col] = st.column_config.NumberColumn(name, format="localized")
        elif kind == "rate":
            config[col] = st.column_config.NumberColumn(name, format="percent")
        elif kind == "points":
            config[col] = st.column_config.NumberColumn(name, format="%.1f")
        elif kind == "date":
            config[col] = st.column_config.DateColumn(name, format="DD/MM/YYYY" if state.lang() == "fr" else
                                                      "YYYY-MM-DD")
        elif kind == "bool":
            config[col] = st.column_config.CheckboxColumn(name)
        else:
            config[col] = st.column_config.Column(name)
    return config


def _rounded(df: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """Money to whole euros on screen, to cents in the CSV; points to one decimal."""
    out = df.copy()
    for col in out.columns:
        if col in MONEY:
            out[col] = pd.to_numeric(out[col], errors="coerce").round(decimals)
        elif col in POINTS:
            out[col] = pd.to_numeric(out[col], errors="coerce").round(1)
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


def table(df: pd.DataFrame, key: str, file_name: str, kinds: dict[str, str] | None = None,
          shown_rows: int = SHOWN_ROWS, display: pd.DataFrame | None = None) -> None:
    """The first rows on screen, every row in a CSV built when its button is clicked. `display` (already
    formatted text, same columns) replaces the screen's rows when a column mixes units."""
    if len(df) > shown_rows:
        st.caption(tr("review.first_rows", shown=shown_rows, total=len(df)))
    lang = state.lang()
    shown = translated(display, lang) if display is not None else _rounded(translated(df.head(shown_rows), lang), 0)
    config = ({c: st.column_config.Column(label(c)) for c in shown.columns} if display is not None
              else _column_config(df, kinds))
    st.dataframe(shown, hide_index=True, column_config=config, key=f"{key}_table", placeholder=fmt.DASH)
    labels = {c: label(c, lang) for c in df.columns}

    def csv() -> bytes:  # runs on the click, off the script thread: no Streamlit call in here
        return to_csv_bytes(_rounded(translated(df, lang), 2).rename(columns=labels), lang)

    st.download_button(tr("review.download"), csv, file_name=f"{file_name}.csv", mime="text/csv",
                       key=f"{key}_download", icon=":material/download:")


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


def localised(chart):
    """The chart with the language's number locale (thousands with narrow spaces in French)."""
    return chart.configure(locale=alt.Locale(number=fmt.d3_locale(state.lang())))
