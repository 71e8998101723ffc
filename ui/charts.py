"""The one chart helper every page uses: `chart(c, key, title=...)` draws an Altair chart with the language's
number locale (thousands and decimals as the reader writes them, the workspace's currency for `$` formats) and
its PNG and SVG buttons (ui/downloads.py), whose file names are the chart's title in the user's language.

    charts.chart(trend_chart(df), "trend", title=tr("flash.trend.title"), page=tr("flash.title"))
"""
from __future__ import annotations

import altair as alt
import streamlit as st

from analytics.outputs.export import file_stem
from ui import downloads, state
from ui import format as fmt


def localised(c):
    """The chart configured with the language's number locale, readable from the back of a meeting room."""
    return c.configure(locale=alt.Locale(number=fmt.d3_locale(state.lang()))).configure_axis(
        labelFontSize=12, titleFontSize=12).configure_legend(labelFontSize=12)


def chart(c, key: str, *, title: str, page: str | None = None, height: int | None = None,
          configured: bool = False) -> None:
    """Draw `c` (a top-level Altair chart, not yet configured unless `configured`) and its PNG and SVG buttons."""
    shown = c if configured else localised(c)
    if height is not None:
        st.altair_chart(shown, width="stretch", height=height)
    else:
        st.altair_chart(shown, width="stretch")
    downloads.chart_buttons(shown, key, file_stem(page or "", title), title)
