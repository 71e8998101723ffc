"""The one place where analytics results are cached (`st.cache_data`), so that analytics/ stays free
of Streamlit.

A result is keyed by (workspace file, store.data_version, Filter, extra arguments): never by the
connection, which is passed through an underscore argument that Streamlit does not hash. An import
bumps the data version, so every cached figure of that workspace is recomputed on the next run.
`st.cache_data` hands every caller its own unpickled copy, so a page may change what it gets.
"""
from __future__ import annotations

import streamlit as st

from analytics import filters, kpis, store
from pages import state

_ANALYTICS = {
    "flash_kpis": kpis.flash_kpis,
    "rep_table": kpis.rep_table,
    "won_trend": kpis.won_trend,
    "reps_behind_goal": kpis.reps_behind_goal,
    "stuck_deals": kpis.stuck_deals,
    "overdue_deals": kpis.overdue_deals,
    "probability_inversions": kpis.probability_inversions,
    "filter_options": lambda con, _flt: filters.filter_options(con),
    "reference_date": lambda con, _flt: filters.reference_date(con),
    "available_tables": lambda con, _flt: store.available_tables(con),
}


@st.cache_data(show_spinner=False, max_entries=2000)
def _cached(name: str, workspace_key: str, version: int, flt, extra: tuple, _con):
    return _ANALYTICS[name](_con, flt, *extra)


def _call(name: str, con, flt=None, *extra):
    # The workspace's file path, not only its name: two roots (tests, COCKPIT_WORKSPACES) never share results.
    workspace_key = str(store.workspace_path(state.workspace()))
    return _cached(name, workspace_key, store.data_version(con), flt, tuple(extra), con)


def flash_kpis(con, flt):
    return _call("flash_kpis", con, flt)


def rep_table(con, flt):
    return _call("rep_table", con, flt)


def won_trend(con, flt):
    return _call("won_trend", con, flt)


def reps_behind_goal(con, flt, today):
    return _call("reps_behind_goal", con, flt, today)


def stuck_deals(con, flt, today):
    return _call("stuck_deals", con, flt, today)


def overdue_deals(con, flt, today):
    return _call("overdue_deals", con, flt, today)


def probability_inversions(con, flt):
    return _call("probability_inversions", con, flt)


def filter_options(con) -> dict[str, list[str]]:
    return _call("filter_options", con)


def reference_date(con):
    return _call("reference_date", con)


def available_tables(con) -> set[str]:
    return _call("available_tables", con)
