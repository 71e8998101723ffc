"""Entry script: language, workspace, shared sidebar filters, navigation. It runs before every page."""
from __future__ import annotations

import streamlit as st

from analytics import store
from analytics.ingest import sandbox
from ui import heap, state, team, workspaces
from ui.sidebar import draw_filters

st.set_page_config(page_title="Cockpit commercial", page_icon="📊", layout="wide")
heap.freeze_libraries()  # once per process: the collection Streamlit runs after every run skips the libraries
sandbox.start_in_background()  # once per process: the workbook reader's forkserver, before the first drop
team.gate()  # team mode: sign-in and membership first (returns at once in the default consultant mode)


def _ensure_demo() -> None:
    """The app opens on the demo company: fill the demo workspace the first time it is opened empty."""
    if state.workspace() != store.DEMO_WORKSPACE:
        return
    con = state.connection()
    if con.execute("SELECT count(*) FROM snapshots").fetchall()[0][0] == 0:
        from data.demo import load_demo

        with st.spinner(state.tr("app.loading_demo")):
            load_demo(con)


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


# Language, workspace (checked against analytics/access.py), filters: set before any widget reads them.
state.init_session()
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
workspaces.draw()
state.keep_link_in_address()
_ensure_demo()
_land(navigation, import_page)
st.session_state["filter"] = draw_filters(state.connection())
navigation.run()
