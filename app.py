"""Entry script: language, workspace, shared sidebar filters, navigation. It runs before every page."""
from __future__ import annotations

import streamlit as st

from analytics import store
from ui import state
from ui.sidebar import draw_filters

st.set_page_config(page_title="Cockpit commercial", page_icon="📊", layout="wide")
HIDE_KEY = "hide_workspaces"


def _ensure_demo() -> None:
    """The app opens on the demo company: fill the demo workspace the first time it is opened empty."""
    if state.workspace() != store.DEMO_WORKSPACE:
        return
    con = state.connection()
    if con.execute("SELECT count(*) FROM snapshots").fetchall()[0][0] == 0:
        from data.demo import load_demo

        with st.spinner(state.tr("app.loading_demo")):
            load_demo(con)


def _create_workspace() -> None:
    """Button callback: create (or reopen, saying so) the workspace typed, and switch to it."""
    name = st.session_state.get("new_workspace_name", "").strip()
    if name:
        slug = store.workspace_slug(name)
        existed = slug in store.list_workspaces()
        store.open_workspace(slug)
        store.remember_name(slug, name)
        st.session_state[state.WORKSPACE_KEY] = slug
        st.session_state["new_workspace_name"] = ""
        st.session_state["workspace_message"] = state.tr("app.workspace_exists" if existed else "app.workspace_created",
                                                         name=store.display_name(slug))


WORKSPACE_WIDGET = "workspace_picker"


def _pick_workspace() -> None:
    st.session_state[state.WORKSPACE_KEY] = st.session_state[WORKSPACE_WIDGET]


def _sidebar() -> None:
    with st.sidebar:
        st.segmented_control(
            state.tr("app.language"), options=["fr", "en"], key=state.LANG_KEY,
            format_func={"fr": "Français", "en": "English"}.get, selection_mode="single",
        )
        if st.session_state.get(state.LANG_KEY) is None:  # a click on the selected option clears it
            st.session_state[state.LANG_KEY] = "fr"
        # In front of a client, a consultant hides the other clients' workspaces: only the open one and the demo
        # are listed (remembered for this browser tab's session).
        hide = st.session_state.get(HIDE_KEY, False)
        others = set() if hide else set(store.list_workspaces())
        names = sorted(others | {store.DEMO_WORKSPACE, state.workspace()})
        # The open workspace lives in a plain key, the selectbox in its own, set from it on every run: a widget
        # key set from code (a new workspace, the demo button) went back to the last value the browser sent
        # when a page called st.switch_page or st.rerun (after an import, the figures opened on the demo).
        st.session_state[WORKSPACE_WIDGET] = state.workspace()
        st.selectbox(state.tr("app.workspace"), names, key=WORKSPACE_WIDGET, help=state.tr("app.workspace_help"),
                     format_func=store.display_name, on_change=_pick_workspace)
        with st.popover(state.tr("app.new_workspace"), width="stretch"):
            st.text_input(state.tr("app.new_workspace"), key="new_workspace_name", max_chars=60)
            st.button(state.tr("app.create_workspace"), on_click=_create_workspace, key="create_workspace")
        st.toggle(state.tr("app.hide_workspaces"), key=HIDE_KEY, help=state.tr("app.hide_workspaces_help"))


LANDED_KEY = "landed_on"  # the workspace the landing rule last ran for


def _land(current, import_page) -> None:
    """The app opens on the flash figures when the workspace holds data, on Import when it is empty.

    The flash page is the default page (served at /); on a session's first run and after a switch to another
    workspace, an empty workspace sends the user to Import. Only once per workspace: a user who then opens
    another page stays there.
    """
    workspace = state.workspace()
    if st.session_state.get(LANDED_KEY) == workspace:
        return
    st.session_state[LANDED_KEY] = workspace
    empty = state.connection().execute("SELECT count(*) FROM snapshots").fetchall()[0][0] == 0
    if empty and current.url_path != import_page.url_path:
        st.switch_page(import_page)


st.session_state.setdefault(state.WORKSPACE_KEY, store.DEMO_WORKSPACE)
st.session_state.setdefault(state.LANG_KEY, "fr")
# url_path must not equal a file stem of pages/, or Streamlit runs that file alone, without this script.
# The default page is served at / (its own url_path answers "Page not found").
import_page = st.Page("pages/import_page.py", title=state.tr("nav.import"), icon=":material/upload_file:",
                      url_path="import")
# Navigation first: until st.navigation runs, Streamlit would list every module of pages/ in the sidebar.
navigation = st.navigation([
    import_page,
    st.Page("pages/flash.py", title=state.tr("nav.flash"), icon=":material/bolt:", url_path="chiffres-flash",
            default=True),
    st.Page("pages/funnel.py", title=state.tr("nav.funnel"), icon=":material/filter_alt:", url_path="entonnoir"),
    st.Page("pages/segments.py", title=state.tr("nav.segments"), icon=":material/donut_small:",
            url_path="effort-resultat"),
    st.Page("pages/pipeline.py", title=state.tr("nav.pipeline"), icon=":material/waterfall_chart:",
            url_path="dynamique-pipeline"),
    st.Page("pages/review_individual.py", title=state.tr("nav.review_individual"), icon=":material/person:",
            url_path="revue-individuelle"),
    st.Page("pages/review_collective.py", title=state.tr("nav.review_collective"), icon=":material/groups:",
            url_path="revue-collective"),
])
_sidebar()
if message := st.session_state.pop("workspace_message", None):
    st.toast(message)
_ensure_demo()
_land(navigation, import_page)
st.session_state["filter"] = draw_filters(state.connection())
navigation.run()
