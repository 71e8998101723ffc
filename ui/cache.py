"""The one place where analytics results are cached (`st.cache_data`), so that analytics/ stays free
of Streamlit.

    from ui.cache import cached
    now = cached(kpis.flash_kpis, con, flt)            # any analytics function f(con, flt, *extra)
    df = cached(funnel.conversion, con, flt, "cohort")

A result is keyed by (function, workspace file, store.data_version, Filter, extra arguments): never by the
connection, which is passed through an underscore argument that Streamlit does not hash. An import bumps
the data version, so every cached figure of that workspace is recomputed on the next run. The extra
arguments must be hashable (dates, strings, numbers, tuples). `st.cache_data` hands every caller its own
unpickled copy, so a page may change what it gets.
"""
from __future__ import annotations

from typing import Callable

import streamlit as st

from analytics import filters, store
from ui import state


@st.cache_data(show_spinner=False, max_entries=4000)
def _cached(module: str, name: str, workspace_key: str, version: int, flt, extra: tuple, _fn, _con):
    return _fn(_con, flt, *extra)


def cached(fn: Callable, con, flt=None, *extra):
    """fn(con, flt, *extra), cached per workspace file, data version, filter and extra arguments."""
    # The workspace's file path, not only its name: two roots (tests, COCKPIT_WORKSPACES) never share results.
    workspace_key = str(store.workspace_path(state.workspace()))
    return _cached(fn.__module__, fn.__qualname__, workspace_key, store.data_version(con), flt, tuple(extra), fn, con)


def _filter_options(con, _flt):
    return filters.filter_options(con)


def _reference_date(con, _flt):
    return filters.reference_date(con)


def _data_bounds(con, _flt):
    return filters.data_bounds(con)


def _available_tables(con, _flt):
    return store.available_tables(con)


def filter_options(con) -> dict[str, list[str]]:
    return cached(_filter_options, con)


def reference_date(con):
    return cached(_reference_date, con)


def data_bounds(con):
    return cached(_data_bounds, con)


def available_tables(con) -> set[str]:
    return cached(_available_tables, con)


def _currency(con, _flt):
    return store.workspace_currency(con)


def currency(con) -> str:
    """The workspace's currency (settings), cached like every figure (an import or a setting bumps the version)."""
    return cached(_currency, con)
