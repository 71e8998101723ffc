"""Download buttons that pages share: a table as CSV and xlsx, a chart as PNG and SVG, the review pack and the
slide deck. Each file is built only when its button is clicked (Streamlit calls the data function then, off the
script thread: no Streamlit call and no shared cursor inside those functions), so a page that is only looked
at never pays for an export.

    downloads.table_buttons(df, "reps", "flash_reps", labels, kinds, prepare=...)
    downloads.chart_buttons(chart, "trend", "flash_trend", title)
    downloads.pack_buttons(flt)
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import pandas as pd
import streamlit as st

from analytics.outputs import charts, deck, report
from analytics import store
from analytics.outputs.export import to_csv_bytes
from ui import cache, state
from ui.sidebar import COMPARE_KEY

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def table_buttons(df: pd.DataFrame, key: str, file_stem: str, labels: dict[str, str], kinds: dict[str, str],
                  prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None, title: str | None = None) -> None:
    """CSV and xlsx buttons for `df` (every row): `prepare` (translation, rounding) runs on the click, then the
    columns are renamed by `labels`; xlsx cells get the number formats of `kinds` (see analytics.outputs.report)."""
    lang = state.lang()
    data_date = cache.reference_date(state.connection())
    title = title or file_stem

    def frame() -> pd.DataFrame:
        return prepare(df) if prepare else df

    def csv() -> bytes:
        return to_csv_bytes(frame().rename(columns=labels), lang)

    def xlsx() -> bytes:
        return report.table_workbook(frame(), kinds, labels, title, lang, data_date)

    with st.container(horizontal=True):
        st.download_button(state.tr("report.download.csv"), csv, file_name=f"{file_stem}.csv", mime="text/csv",
                           key=f"{key}_download", icon=":material/download:")
        st.download_button(state.tr("report.download.xlsx"), xlsx, file_name=f"{file_stem}.xlsx", mime=XLSX,
                           key=f"{key}_xlsx", icon=":material/download:")


def chart_buttons(chart, key: str, file_stem: str, title: str) -> None:
    """PNG and SVG buttons for an Altair chart: rendered server-side with the title and the data's date on it."""
    lang = state.lang()
    data_date = cache.reference_date(state.connection())

    def png() -> bytes:
        return charts.to_png(chart, title, data_date, lang)

    def svg() -> bytes:
        return charts.to_svg(chart, title, data_date, lang)

    with st.container(horizontal=True):
        st.download_button(state.tr("report.download.png"), png, file_name=f"{file_stem}.png", mime="image/png",
                           key=f"{key}_png", icon=":material/image:")
        st.download_button(state.tr("report.download.svg"), svg, file_name=f"{file_stem}.svg", mime="image/svg+xml",
                           key=f"{key}_svg", icon=":material/image:")


def pack_buttons(flt) -> None:
    """The review pack (xlsx) for the whole team and, when the sidebar picks one rep, for that rep; and the deck.
    Other dimensions of the filter (segment, region...) apply to both; the comparison is the sidebar's."""
    lang = state.lang()
    compare = st.session_state.get(COMPARE_KEY, "previous")
    workspace = state.workspace()
    team = replace(flt, owner=None)

    def build(which, for_filter):
        def run() -> bytes:  # a cursor of its own: this runs on another thread than the page's
            con = store.open_workspace(workspace).cursor()
            try:
                if which == "deck":
                    return deck.build_deck(con, for_filter, lang, compare)
                return report.build_pack(con, for_filter, lang, compare)
            finally:
                con.close()
        return run

    stem = "dossier_revue" if lang == "fr" else "review_pack"
    st.subheader(state.tr("report.download.title"))
    st.caption(state.tr("report.download.help"))
    with st.container(horizontal=True):
        st.download_button(state.tr("report.download.pack_team"), build("pack", team), file_name=f"{stem}.xlsx",
                           mime=XLSX, key="pack_team", icon=":material/folder_zip:")
        if flt.owner:
            st.download_button(state.tr("report.download.pack_rep", owner=state.plain(flt.owner)), build("pack", flt),
                               file_name=f"{stem}_{store.workspace_slug(flt.owner)}.xlsx", mime=XLSX, key="pack_rep",
                               icon=":material/person:")
        st.download_button(state.tr("report.download.deck"), build("deck", flt), file_name=f"{stem}.pptx", mime=PPTX,
                           key="pack_deck", icon=":material/slideshow:")
