"""The formatting module (analytics/outputs/format.py) as pages use it: the same functions, with `money` and the
chart locale bound to the workspace's currency. Nothing is formatted here: pages, tables and charts write numbers
through analytics.outputs.format, like the pack, the deck and the CLI.
"""
from __future__ import annotations

from analytics.outputs.format import *  # noqa: F401,F403  (the one formatting module, re-exported for pages)
from analytics.outputs.format import DASH, _is_nat, defined  # noqa: F401  (names `import *` leaves out)
from analytics.outputs import format as _core


def currency() -> str:
    """The current workspace's currency (EUR unless its settings say otherwise); EUR outside a script run. Kept
    per workspace for the session (no page changes a workspace's currency)."""
    try:
        import streamlit as st

        from ui import cache, state

        # read once per workspace in a session: pages write many amounts per run
        workspace = state.workspace()
        memo = st.session_state.get("_currency_memo")
        if memo is None or memo[0] != workspace:
            con = state.connection()
            memo = (workspace, cache.currency(con))
            st.session_state["_currency_memo"] = memo
        return memo[1]
    except Exception:  # off the script thread (a download callback) there is no session: the default
        return _core.DEFAULT_CURRENCY


def money(value, lang: str, signed: bool = False, decimals: int = 0, currency_code: str | None = None) -> str:
    return _core.money(value, lang, signed=signed, decimals=decimals, currency=currency_code or currency())


def d3_locale(lang: str) -> dict:
    return _core.d3_locale(lang, currency())


def kpi_value(kind: str, value, lang: str) -> str:
    return _core.kpi_value(kind, value, lang, currency())


def kpi_delta(kind: str, delta_rule: str, now, before, lang: str) -> str | None:
    return _core.kpi_delta(kind, delta_rule, now, before, lang, currency())


def frame(df, kinds: dict[str, str], lang: str):
    return _core.frame(df, kinds, lang, currency())
