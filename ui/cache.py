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

import threading
from typing import Callable

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from analytics import filters, store
from ui import state


@st.cache_data(show_spinner=False, max_entries=4000)
def _cached(module: str, name: str, workspace_key: str, version: int, flt, extra: tuple, _fn, _con):
    return _fn(_con, flt, *extra)


def cached(fn: Callable, con, flt=None, *extra):
    """fn(con, flt, *extra), cached per workspace file, data version, filter and extra arguments."""
    return _cached_in(_workspace_key(), fn, con, flt, extra)


def _workspace_key() -> str:
    # The workspace's file path, not only its name: two roots (tests, COCKPIT_WORKSPACES) never share results.
    return str(store.workspace_path(state.workspace()))


def _cached_in(workspace_key: str, fn: Callable, con, flt, extra: tuple):
    return _cached(fn.__module__, fn.__qualname__, workspace_key, store.data_version(con), flt, tuple(extra), fn, con)


def prefetch(fn: Callable, con, flt=None, *extra) -> threading.Thread:
    """Start `cached(fn, con, flt, *extra)` on a thread of its own, on a cursor of its own: the page goes on
    drawing what comes before, and its own `cached` call of the same figure later waits for this one (one
    computation per key: st.cache_data locks it) instead of starting it then. For a slow figure that does not
    depend on what the page draws first (the flash page's projection)."""
    # The key's workspace is read here, with the cursor: the thread may outlive this run, and the session's next
    # run may be on another workspace, whose key must never hold this one's figures.
    workspace_key, cursor = _workspace_key(), con.cursor()

    def run() -> None:
        try:
            _cached_in(workspace_key, fn, cursor, flt, extra)
        except Exception:  # the page's own call computes it again and shows the error its own way
            pass
        finally:
            cursor.close()

    thread = threading.Thread(target=run, name=f"prefetch-{fn.__qualname__}", daemon=True)
    add_script_run_ctx(thread, get_script_run_ctx())  # Streamlit's cache expects a script thread
    thread.start()
    return thread


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
