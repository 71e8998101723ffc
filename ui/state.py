"""Session state shared by every page: language, current workspace and its connection.

Pages read a workspace through a `store.Reader` (the latest published copy of its file, held once per process by
the store, not by st.cache_resource: closing a workspace must also forget its connection); each call takes a cursor
of its own, as DuckDB wants one cursor per thread. An import writes through `store.writable(reader)`, which waits
for another import of any process and says so in a toast.
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


def connection():
    """A cursor on the current workspace, private to this script run (thread).

    In team mode, only for a session the sign-in gate let through: on a freshly started server, Streamlit may run a
    file of pages/ on its own, without app.py and its gate (see ui/team.py); such a run stops here, before any data."""
    from ui import team

    if not team.let_through():
        st.stop()
    return store.open_workspace(workspace(), on_wait=_say_waiting)


def _say_waiting() -> None:
    """Called once when an import of this session waits for another one (another tab, replica or the CLI)."""
    st.toast(tr("store.waiting"), icon=":material/hourglass_top:")


_MARKDOWN_SPECIALS = set("\\`*_{}[]()<>#+-.!|~$:")


def plain(text: str) -> str:
    """Text from a file (names, messages quoting cells) made inert for Streamlit's markdown: every markdown
    character is escaped, so a name like '[x](http://…)' or '<script>' is shown as typed, never rendered."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in str(text))
