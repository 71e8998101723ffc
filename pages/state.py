"""Session state shared by every page: language, current workspace and its connection.

The connection is cached once per workspace for the whole process (`st.cache_resource`); each session
takes its own cursor from it, as DuckDB wants one cursor per thread.
"""
from __future__ import annotations

import streamlit as st

from analytics import store
from analytics.i18n import t

LANG_KEY = "lang"
WORKSPACE_KEY = "workspace"


def lang() -> str:
    return st.session_state.get(LANG_KEY, "fr")


def tr(key: str, **params) -> str:
    """The interface string `key` in the session's language."""
    return t(key, lang(), **params)


def workspace() -> str:
    return st.session_state.get(WORKSPACE_KEY, store.DEMO_WORKSPACE)


@st.cache_resource(show_spinner=False)
def _shared_connection(name: str):
    return store.open_workspace(name)


def connection():
    """A cursor on the current workspace, private to this script run (thread)."""
    return _shared_connection(workspace()).cursor()


_MARKDOWN_SPECIALS = set("\\`*_{}[]()<>#+-.!|~$:")


def plain(text: str) -> str:
    """Text from a file (names, messages quoting cells) made inert for Streamlit's markdown: every markdown
    character is escaped, so a name like '[x](http://…)' or '<script>' is shown as typed, never rendered."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in str(text))
