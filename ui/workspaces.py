"""The sidebar's session controls: the language and the workspace (list, new, open with a link or passphrase).

Each widget has a key of its own and is drawn from the session's plain keys (ui.state), which only callbacks
change: a widget's state that Streamlit drops or a stale value from the browser never changes the language or
the workspace on its own, and a workspace is opened only through ui.state.open_workspace / grant, which ask
analytics/access.py.
"""
from __future__ import annotations

import streamlit as st

from analytics import access, store
from ui import state
from ui.state import plain, tr

LANG_WIDGET = "lang_choice"
WORKSPACE_WIDGET = "workspace_choice"
NEW_NAME_KEY = "new_workspace_name"
SECRET_KEY = "open_workspace_secret"
CREATED_KEY = "workspace_created"  # (workspace, passphrase) shown once after a creation


def _language_changed() -> None:
    chosen = st.session_state.get(LANG_WIDGET)
    if chosen in state.LANGUAGES:  # a click on the selected option clears the control: the language stays
        st.session_state[state.LANG_KEY] = chosen


def _workspace_changed() -> None:
    if not state.open_workspace(st.session_state.get(WORKSPACE_WIDGET)):
        state.say("error", "access.not_allowed")


def _create() -> None:
    """Button callback: create the workspace typed and open it; refused names and limits are said."""
    name = st.session_state.get(NEW_NAME_KEY, "")
    try:
        created = access.create(name)
    except access.Refused as refused:
        state.say("error", refused.key, **refused.params)
        return
    st.session_state[NEW_NAME_KEY] = ""
    state.grant(created.workspace)
    st.session_state[CREATED_KEY] = (created.workspace, created.passphrase)


def _open_secret() -> None:
    """Button callback: open the workspace of the pasted link or passphrase."""
    ws = access.open_secret(st.session_state.get(SECRET_KEY, ""))
    st.session_state[SECRET_KEY] = ""
    if ws is None:
        state.say("error", "access.secret_unknown")
        return
    state.grant(ws)
    state.say("success", "access.opened", name=access.display_name(ws))


def _link(ws: str) -> str | None:
    return access.link(st.context.url, ws)


def _created_notice() -> None:
    """The private link and passphrase of the workspace just created, to copy (the passphrase is shown only now)."""
    ws, passphrase = st.session_state[CREATED_KEY]
    if ws != state.workspace():
        st.session_state.pop(CREATED_KEY)
        return
    st.success(tr("access.created", name=plain(access.display_name(ws))))
    st.caption(tr("access.link_label"))
    st.code(_link(ws) or "", language=None, wrap_lines=True)
    st.caption(tr("access.passphrase_label"))
    st.code(passphrase, language=None)
    st.caption(tr("access.copy_now"))
    st.button(tr("access.noted"), key="created_noted", on_click=lambda: st.session_state.pop(CREATED_KEY, None))


def _message() -> None:
    said = st.session_state.pop(state.MESSAGE_KEY, None)
    if said:
        level, key, params = said
        text = tr(key, **{k: plain(v) if isinstance(v, str) else v for k, v in params.items()})
        {"error": st.error, "toast": st.toast}.get(level, st.success)(text)


def draw_language() -> None:
    """The language switch: its own widget key, set from the session's language on every run; only its callback
    writes the language (a widget keyed on the language itself failed when the key was set after it was drawn)."""
    st.session_state[LANG_WIDGET] = state.lang()
    st.segmented_control(tr("app.language"), options=list(state.LANGUAGES), key=LANG_WIDGET,
                         format_func={"fr": "Français", "en": "English"}.get, selection_mode="single",
                         on_change=_language_changed)


def draw() -> None:
    """Language, then workspace, in the sidebar (app.py, every run, after ui.state.init_session)."""
    with st.sidebar:
        draw_language()
        options = access.visible(state.visitor())
        st.session_state[WORKSPACE_WIDGET] = state.workspace()
        st.selectbox(tr("app.workspace"), options, key=WORKSPACE_WIDGET, help=tr("app.workspace_help"),
                     format_func=access.display_name, on_change=_workspace_changed)
        if CREATED_KEY in st.session_state:
            _created_notice()
        elif state.workspace() != store.DEMO_WORKSPACE:
            with st.popover(tr("access.link_button"), width="stretch"):
                st.caption(tr("access.link_help"))
                st.code(_link(state.workspace()) or "", language=None, wrap_lines=True)
        with st.popover(tr("app.new_workspace"), width="stretch"):
            st.text_input(tr("app.new_workspace"), key=NEW_NAME_KEY, max_chars=access.NAME_MAX)
            st.button(tr("app.create_workspace"), on_click=_create, key="create_workspace")
        with st.popover(tr("access.open_button"), width="stretch"):
            st.text_input(tr("access.secret_label"), key=SECRET_KEY, type="password", help=tr("access.secret_help"))
            st.button(tr("access.open"), on_click=_open_secret, key="open_workspace")
        _message()
