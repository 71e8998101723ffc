"""Session state shared by every page: language, current workspace and its connection, what this session was given.

`init_session()` runs first on every run of app.py, before any widget: it sets the language, the workspace, the
workspaces this session was given and the filters once per session (plain keys, which Streamlit never drops;
widgets have keys of their own and are drawn from these), takes a private link from the address (`?w=<token>`),
and checks the open workspace against analytics/access.py on every run: a workspace this session may not open is
never the current one, whatever was stored.

Pages read a workspace through a `store.Reader` (the latest published copy of its file, held once per process by
the store, not by st.cache_resource: closing a workspace must also forget its connection); each call takes a cursor
of its own, as DuckDB wants one cursor per thread. An import writes through `store.writable(reader)`, which waits
for another import of any process and says so in a toast.
"""
from __future__ import annotations

import re

import streamlit as st

from analytics import access, store
from analytics.i18n import t

LANG_KEY = "lang"
WORKSPACE_KEY = "workspace"
GRANTED_KEY = "granted_workspaces"  # the workspaces this session created or opened with their link or passphrase
LINKS_SEEN_KEY = "links_seen"  # the link tokens this session has already acted on (each opens once, see below)
MESSAGE_KEY = "workspace_message"  # (level, string key, params) said once on the next run
LINK_PARAM = "w"
LANGUAGES = ("fr", "en")


def lang() -> str:
    return st.session_state.get(LANG_KEY, "fr")


def tr(key: str, **params) -> str:
    """The interface string `key` in the session's language."""
    return t(key, lang(), **params)


def visitor() -> access.Visitor:
    """What this browser session was given, for analytics/access.py: the workspaces it created or brought the
    secret of, and in team mode the signed-in e-mail (Streamlit's OIDC sign-in)."""
    from ui import team

    current = access.mode(team.configured_mode())
    email = None
    if current == "team" and getattr(st.user, "is_logged_in", False):
        email = st.user.get("email")
    return access.Visitor(granted=frozenset(st.session_state.get(GRANTED_KEY, ())), email=email, mode=current)


def workspace() -> str:
    return st.session_state.get(WORKSPACE_KEY, store.DEMO_WORKSPACE)


def say(level: str, key: str, **params) -> None:
    """A message for the next run (callbacks run before the script: the page draws it)."""
    st.session_state[MESSAGE_KEY] = (level, key, params)


def open_workspace(ws: str) -> bool:
    """Make `ws` the session's workspace if this session may open it; False (nothing changed) otherwise."""
    if not access.may_open(visitor(), ws):
        return False
    st.session_state[WORKSPACE_KEY] = ws
    return True


def grant(ws: str) -> None:
    """Give this session `ws` (it created it, or brought its link or passphrase) and open it."""
    st.session_state[GRANTED_KEY] = set(st.session_state.get(GRANTED_KEY, ())) | {ws}
    open_workspace(ws)


def _link_from_address() -> None:
    """A private link in the address opens its workspace for this session; an unknown one is said, and the
    session stays where it was.

    Each token acts once per session: the address keeps the open workspace's token (`keep_link_in_address`), and a
    rerun asked just before a switch may still carry the previous one; acting on it again would switch back."""
    token = st.query_params.get(LINK_PARAM)
    seen = st.session_state.setdefault(LINKS_SEEN_KEY, set())
    if not token or token in seen:
        return
    seen.add(token)
    ws = access.open_secret(token)
    if ws is None:
        say("error", "access.link_unknown")
        del st.query_params[LINK_PARAM]
        return
    grant(ws)


def keep_link_in_address() -> None:
    """The address shows the open workspace's private link (a reload or a bookmark reopens it), none for the demo.
    A page switch clears the address's parameters: this puts it back on every run."""
    token = access.registry.token(workspace()) if workspace() != store.DEMO_WORKSPACE else None
    if token and st.query_params.get(LINK_PARAM) != token:
        st.session_state.setdefault(LINKS_SEEN_KEY, set()).add(token)
        st.query_params[LINK_PARAM] = token
    elif not token and LINK_PARAM in st.query_params:
        del st.query_params[LINK_PARAM]


def init_session() -> None:
    """Set the session's state once, before any widget reads it, then check the open workspace (every run)."""
    from ui.sidebar import init_filters

    state = st.session_state
    if state.get(LANG_KEY) not in LANGUAGES:
        state[LANG_KEY] = "fr"
    state.setdefault(GRANTED_KEY, set())
    state.setdefault(WORKSPACE_KEY, store.DEMO_WORKSPACE)
    init_filters()
    _link_from_address()
    if not access.may_open(visitor(), workspace()):
        state[WORKSPACE_KEY] = store.DEMO_WORKSPACE


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
# Escaping does not stop the markdown renderer from turning "http://…", "www.…" or "x@y.fr" into a link. In such a
# word only, an invisible word joiner before each ".", ":" and "@" does; a file name ("export.xlsx") is left as
# typed, so that it reads, copies and is found by the browser's search.
_LINK_LIKE = re.compile(r"(?i)\b(?:(?:https?|ftp|mailto|file|data|javascript):|www\.)\S*|\S+@\S+")


def _unlink(match: re.Match) -> str:
    return re.sub(r"(?=[.:@])", "\u2060", match.group(0))


def plain(text: str) -> str:
    """Text from a file or a user (names, messages quoting cells) made inert for Streamlit's markdown: every
    markdown character is escaped and no address becomes a link, so a name like '**x** ![i](http://…)' or
    '<script>' is shown as typed, never rendered, and nothing is fetched."""
    text = _LINK_LIKE.sub(_unlink, str(text))
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIALS else ch for ch in text)
