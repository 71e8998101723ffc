"""The filters every page shares, drawn in the sidebar by app.py on every run (a keyed widget that is
not drawn on a run loses its state). Each filter's value lives in a plain st.session_state key (flt_*);
pages read the resulting Filter from st.session_state["filter"] and the comparison from
`comparison_filter()`.
"""
from __future__ import annotations

from datetime import date

import streamlit as st

from analytics import settings
from analytics.filters import COMPARISONS, DIMENSIONS, PRESETS, Filter, _add_months, period_bounds, previous, whole_end
from analytics.i18n import t
from ui import cache
from ui import format as fmt
from ui.state import lang, tr

PRESET_KEY = "flt_preset"
CUSTOM_KEY = "flt_custom"
COMPARE_KEY = "flt_compare"
TODAY_KEY = "flt_today"
FISCAL_KEY = "flt_fiscal_start"
CUSTOM_LAST_KEY = "flt_custom_last"  # the last complete custom range: used while the user picks a new one
FILTER_KEY = "filter"
DEFAULT_PRESET = "month"
ALL = ""


def init_filters() -> None:
    """The filters' session values, set once per session before any widget reads them (ui.state.init_session)."""
    st.session_state.setdefault(PRESET_KEY, DEFAULT_PRESET)
    st.session_state.setdefault(COMPARE_KEY, COMPARISONS[0])
    for dim in DIMENSIONS:
        st.session_state.setdefault(dimension_key(dim), ALL)


def dimension_key(dim: str) -> str:
    return f"flt_{dim}"


def widget_key(state_key: str, language: str) -> str:
    """The selectbox behind a filter, one per language: a selectbox keeps showing the option text of the
    language it was first drawn in, so switching language draws a fresh one from the filter's value."""
    return f"{state_key}__{language}"


def _choice(label: str, options: list, state_key: str, format_func, language: str):
    """A selectbox whose value lives in st.session_state[state_key] (a plain key, so it survives the
    language switch and pages that do not draw the widget) and is returned."""
    key = widget_key(state_key, language)
    if key not in st.session_state or st.session_state[key] not in options:
        value = st.session_state.get(state_key)
        st.session_state[key] = value if value in options else options[0]
    value = st.selectbox(label, options, key=key, format_func=format_func)
    st.session_state[state_key] = value
    return value


def format_date(d: date) -> str:
    return fmt.day(d, lang())


def _custom_range(picked, fallback: tuple[date, date]) -> tuple[tuple[date, date], bool]:
    """(the range to compute, complete?). While the user has picked only the first day, the last complete
    range stays in force (the page must not show one period and compute another)."""
    if isinstance(picked, (tuple, list)):
        if len(picked) == 2:
            return tuple(sorted(picked)), True
        return fallback, False
    return ((picked, picked), True) if picked else (fallback, False)


def _picker_bounds(con, today: date) -> tuple[date, date]:
    """Any date that occurs in the data can be picked (the widget's default refuses dates more than ten years
    from the calendar's today, with a tooltip in English), and ten years around the workspace's today."""
    lo, hi = cache.data_bounds(con)
    return min(lo or today, _add_months(today, -120)), max(hi or today, _add_months(today, 120))


def _store_fiscal_start(key: str) -> None:
    """Widget callback (runs before the rerun draws the period): store the chosen month in the workspace."""
    from ui.state import connection

    settings.set_fiscal_start(connection(), st.session_state[key])


def _fiscal_setting(con, language: str) -> None:
    """The workspace's fiscal year first month, editable in the sidebar (stored in the workspace: every
    session and the CLI read the same)."""
    key = f"fiscal_start_widget__{language}"
    months = list(range(1, 13))
    st.session_state[key] = settings.fiscal_start(con)
    with st.expander(t("filters.settings", language)):
        st.selectbox(t("filters.fiscal_start", language), months, key=key,
                     format_func=lambda m: fmt.month_name(m, language), help=t("filters.fiscal_start_help", language),
                     on_change=_store_fiscal_start, args=(key,))


def draw_filters(con) -> Filter:
    """Draw the period, comparison and dimension filters in the sidebar; return the Filter they make.

    "Today" for the presets is the workspace's latest snapshot date (the demo shows its own current
    month), else the calendar's. A dimension the workspace has no value for is not drawn.
    """
    today = cache.reference_date(con)
    options = cache.filter_options(con)
    st.session_state[TODAY_KEY] = today
    init_filters()  # set by app.py already; again here for a page run without it
    language = lang()  # format functions bound to this run's language: they are also called outside the run

    def label(key: str) -> str:
        return t(key, language)

    with st.sidebar:
        st.subheader(tr("filters.title"))
        fiscal_start = st.session_state[FISCAL_KEY] = settings.fiscal_start(con)
        preset = _choice(
            tr("filters.period"), list(PRESETS), PRESET_KEY, lambda p: label(f"filters.preset.{p}"), language
        )
        whole = whole_end(preset, today, fiscal_start)  # year to date: read against the whole year's quota
        if preset == "custom":
            fallback = st.session_state.get(CUSTOM_LAST_KEY) or period_bounds(DEFAULT_PRESET, today, fiscal_start)
            st.session_state.setdefault(CUSTOM_KEY, fallback)
            low, high = _picker_bounds(con, today)
            (start, end), complete = _custom_range(
                # Streamlit's calendar names months in English whatever the language: the help says the order
                st.date_input(tr("filters.dates"), key=CUSTOM_KEY, format="DD/MM/YYYY", min_value=low,
                              max_value=high, help=tr("import.snapshot_date_help")), fallback
            )
            if complete:
                st.session_state[CUSTOM_LAST_KEY] = (start, end)
            else:
                st.caption(tr("filters.pick_end", range=fmt.span(start, end, language)))
        else:
            start, end = period_bounds(preset, today, fiscal_start)
            if start is None:
                lo, hi = cache.data_bounds(con)
                st.caption(tr("filters.all_range", range=fmt.span(lo, hi, language)) if lo else tr("filters.all_dates"))
            else:
                st.caption(fmt.span(start, end, language))
        _choice(tr("filters.compare"), list(COMPARISONS), COMPARE_KEY, lambda m: label(f"filters.compare.{m}"), language)
        values = {}
        for dim in DIMENSIONS:
            # "" stands for "all" (a selectbox showing None would show a placeholder instead of "All")
            key, choices = dimension_key(dim), [ALL, *options.get(dim, [])]
            if len(choices) == 1:  # the workspace has no value for it: nothing to choose
                st.session_state[key] = ALL
            # a value not among the choices (another workspace, gone since an import) falls back to "all"
            chosen = ALL if len(choices) == 1 else _choice(
                tr(f"filters.{dim}"), choices, key, lambda v: label("filters.all") if v == ALL else str(v), language
            )
            values[dim] = chosen or None
        if cache.available_tables(con):
            _fiscal_setting(con, language)
    return Filter(start=start, end=end, whole_end=whole, **values)


def current_filter() -> Filter:
    """The Filter app.py stored for this run (an unfiltered one when the page runs without app.py)."""
    return st.session_state.get(FILTER_KEY) or Filter()


def fiscal_start() -> int:
    """The workspace's fiscal year first month, as the sidebar read it on this run."""
    return st.session_state.get(FISCAL_KEY, 1)


def comparison_mode() -> str:
    return st.session_state.get(COMPARE_KEY, COMPARISONS[0])


def today() -> date | None:
    """The workspace's "today" (its latest snapshot date), as the sidebar read it on this run."""
    return st.session_state.get(TODAY_KEY)


def comparison_filter() -> Filter | None:
    """The comparison period of the current filter, by the mode chosen in the sidebar; a period in progress
    is compared with the same stretch of its comparison period. None for an unbounded period."""
    return previous(
        current_filter(), st.session_state.get(COMPARE_KEY, COMPARISONS[0]), today=st.session_state.get(TODAY_KEY)
    )
