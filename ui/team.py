"""Team mode in the app: sign-in, membership, and the one-review view of a member limited to a rep.

`gate()` is called by app.py before anything else is drawn. In the default (consultant) mode it returns at once. In
team mode (analytics/members.py says how it is set) it runs before every page, on every run, so that a membership
removed by the admin takes effect on the next click:
- not signed in: a sign-in page (Streamlit's built-in OIDC sign-in, the provider in `.streamlit/secrets.toml`
  `[auth]`), and the run stops;
- signed in but a member of no workspace: says so, offers to sign out, and the run stops;
- a member: the session's workspace is one of theirs (a workspace they are not a member of is never opened, even
  if the session held it), and the sidebar shows who is signed in;
- a member limited to a rep: only the individual review page exists for them, on their own rep, with a period
  choice; no filter lists the other reps. app.py's pages and sidebar are not run.
"""
from __future__ import annotations

import streamlit as st

from analytics import members
from analytics.filters import PRESETS, Filter, period_bounds
from analytics import settings
from ui import cache, state, workspaces

MEMBER_REP_KEY = "member_rep"  # the rep a limited member may review; None for a whole-workspace member
MEMBER_KEY = "member_email"    # the member the gate let through in this session (team mode)
LIMITED_PRESET_KEY = "member_preset"


def configured_mode() -> str | None:
    """`mode` in the `[cockpit]` section of secrets.toml, if any (no secrets file is no setting)."""
    try:
        section = st.secrets.get("cockpit") or {}
    except Exception:  # noqa: BLE001 - Streamlit raises its own error when there is no secrets file at all
        return None
    return section.get("mode")


def team_mode() -> bool:
    return members.mode(configured_mode()) == members.TEAM


def signed_in_email() -> str | None:
    """The signed-in address, when the provider gave one it did not mark unverified."""
    user = st.user.to_dict()
    if not user.get("is_logged_in") or user.get("email_verified") is False:
        return None
    return user.get("email") or None


def let_through() -> bool:
    """Whether this run may read a workspace: always in consultant mode; in team mode only once the gate has let a
    member through in this session (a page run without app.py never went through the gate)."""
    try:
        return not team_mode() or bool(st.session_state.get(MEMBER_KEY))
    except members.ModeError:
        return False


def rep_limit() -> str | None:
    """The only rep this session may review (team mode, a member limited to a rep), else None."""
    return st.session_state.get(MEMBER_REP_KEY)


def gate() -> None:
    """Team mode: sign in, open only the member's workspaces, limit a rep to their own review (see module doc)."""
    st.session_state[MEMBER_REP_KEY] = None
    st.session_state[MEMBER_KEY] = None
    try:
        if not team_mode():
            return
    except members.ModeError as error:  # fail closed: a mistyped mode opens nothing (a message for the admin)
        _only(lambda: st.error(str(error)))
    st.session_state.setdefault(state.LANG_KEY, "fr")
    if not st.user.to_dict().get("is_logged_in"):
        _only(_sign_in_page)
    email = signed_in_email()
    mine = members.workspaces_for(email)
    if not mine:
        _only(lambda: _not_member_page(email))
    allowed = {m.workspace: m for m in mine}
    if st.session_state.get(state.WORKSPACE_KEY) not in allowed:
        st.session_state[state.WORKSPACE_KEY] = mine[0].workspace
    member = allowed[st.session_state[state.WORKSPACE_KEY]]
    st.session_state[MEMBER_KEY] = member.email
    with st.sidebar:
        st.caption(state.tr("team.signed_in", email=state.plain(member.email)))
        st.button(state.tr("team.sign_out"), on_click=st.logout, key="team_sign_out")
    if member.limited:
        st.session_state[MEMBER_REP_KEY] = member.rep
        _limited_view()


def _only(page) -> None:
    """Run `page` as the app's only page, then stop the run. Through st.navigation, never by stopping before it: a
    run that never calls st.navigation makes Streamlit serve the files of pages/ on their own, without this gate."""
    st.navigation([st.Page(page, title="Cockpit commercial", url_path="connexion", default=True)],
                  position="hidden").run()
    st.stop()


def _sign_in_page() -> None:
    st.title("Cockpit commercial")
    st.write(state.tr("team.sign_in_text"))
    st.button(state.tr("team.sign_in"), type="primary", on_click=st.login, key="team_sign_in")


def _not_member_page(email: str | None) -> None:
    st.warning(state.tr("team.not_member", email=state.plain(email or "?")))
    st.button(state.tr("team.sign_out"), on_click=st.logout, key="team_sign_out")


def _limited_view() -> None:
    """The individual review of the member's own rep, alone: a navigation of one page and a period choice."""
    con = state.connection()
    today = cache.reference_date(con)
    presets = [p for p in PRESETS if p != "custom"]
    with st.sidebar:
        workspaces.draw_language()
        preset = st.selectbox(state.tr("filters.period"), presets, key=LIMITED_PRESET_KEY,
                              format_func=lambda p: state.tr(f"filters.preset.{p}"))
    start, end = period_bounds(preset, today, settings.fiscal_start(con)) if today else (None, None)
    st.session_state["filter"] = Filter(start=start, end=end)
    page = st.Page("pages/review_individual.py", title=state.tr("nav.review_individual"), icon=":material/person:",
                   url_path="revue-individuelle", default=True)
    st.navigation([page]).run()
    st.stop()
