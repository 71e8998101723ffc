"""Team mode (issue 20, item 1, team part): sign-in, members per workspace, a rep limited to their own review.

The real OIDC provider cannot run here: the signed-in identity is AppTest's own test hook (`at.user`, the dict a run
reads as `st.user`), the same way Streamlit's tests fake a sign-in.
"""
from __future__ import annotations

import json

import pytest

from analytics import members, store
from analytics.__main__ import main as cli
from tests.fixtures.workspace import build


@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.setenv("COCKPIT_WORKSPACES", str(tmp_path))
    monkeypatch.delenv("COCKPIT_MODE", raising=False)
    return tmp_path


# --- the mode ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("env, configured, expected", [
    (None, None, "consultant"),        # the default: make run, no sign-in
    ("team", None, "team"),            # COCKPIT_MODE=team
    (None, "team", "team"),            # [cockpit] mode = "team" in secrets.toml
    ("consultant", "team", "consultant"),  # the environment wins over the file
    (" Team ", None, "team"),
])
def test_the_mode_comes_from_the_environment_then_the_secrets(registry, monkeypatch, env, configured, expected):
    if env is not None:
        monkeypatch.setenv("COCKPIT_MODE", env)
    assert members.mode(configured) == expected


def test_an_unknown_mode_is_refused_not_taken_for_the_open_one(registry, monkeypatch):
    monkeypatch.setenv("COCKPIT_MODE", "teams")
    with pytest.raises(members.ModeError, match="teams"):
        members.mode()


# --- the registry -------------------------------------------------------------------------------------------------

def test_a_member_is_found_by_any_spelling_of_their_address(registry):
    members.add("acme", "  Claire.Martin@Acme.FR ")
    assert members.workspaces_for("claire.martin@acme.fr") == [members.Member("acme", "claire.martin@acme.fr")]
    assert members.membership("CLAIRE.MARTIN@ACME.FR", "acme") is not None
    assert members.membership("claire.martin@acme.fr", "globex") is None


def test_adding_again_changes_the_limit(registry):
    members.add("acme", "bob@acme.fr", rep="bob")
    assert members.membership("bob@acme.fr", "acme").rep == "bob"
    members.add("acme", "bob@acme.fr")
    assert members.membership("bob@acme.fr", "acme").limited is False


def test_removed_members_open_nothing(registry):
    members.add("acme", "bob@acme.fr")
    assert members.remove("acme", "bob@acme.fr") is True
    assert members.workspaces_for("bob@acme.fr") == []
    assert members.remove("acme", "bob@acme.fr") is False


@pytest.mark.parametrize("email", [None, "", "bob", "bob@", "a b@acme.fr"])
def test_no_address_is_a_member_of_nothing(registry, email):
    members.add("acme", "bob@acme.fr")
    assert members.workspaces_for(email) == []


def test_the_registry_lists_each_workspace_members(registry):
    members.add("globex", "zoe@globex.com")
    members.add("acme", "bob@acme.fr", rep="bob")
    members.add("acme", "alice@acme.fr")
    assert members.workspaces() == ["acme", "globex"]
    assert [(m.email, m.rep) for m in members.members("acme")] == [("alice@acme.fr", None), ("bob@acme.fr", "bob")]


# --- the admin command --------------------------------------------------------------------------------------------

def test_the_admin_command_adds_a_member_to_an_existing_workspace(registry, capsys):
    store.open_workspace("acme")
    assert cli(["members", "add", "--workspace", "Acme", "--email", "Bob@acme.fr", "--rep", "bob"]) == 0
    assert members.membership("bob@acme.fr", "acme") == members.Member("acme", "bob@acme.fr", "bob")
    assert cli(["members", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == [
        {"workspace": "acme", "email": "bob@acme.fr", "rep": "bob"}]


def test_the_admin_command_refuses_a_mistyped_workspace(registry, capsys):
    store.open_workspace("acme")
    assert cli(["members", "add", "--workspace", "acmee", "--email", "bob@acme.fr"]) == 2
    assert "--create" in capsys.readouterr().err
    assert members.workspaces() == [] and store.list_workspaces() == ["acme"]


def test_the_admin_command_refuses_what_is_not_an_address(registry, capsys):
    store.open_workspace("acme")
    assert cli(["members", "add", "--workspace", "acme", "--email", "bob"]) == 2
    assert "not an e-mail address" in capsys.readouterr().err


# --- the app in team mode -----------------------------------------------------------------------------------------

@pytest.fixture
def team_app(app, monkeypatch):
    """The app in team mode, with two client workspaces holding the shared fixture (reps alice, bob, chloe)."""
    monkeypatch.setenv("COCKPIT_MODE", "team")
    for name in ("acme", "globex"):
        with store.write_workspace(name) as con:
            build(con)
            store.log_import(con, {"test": True})
    return app


def signed_in(at, email, **claims):
    at.user = {"is_logged_in": True, "email": email, **claims}
    return at


def shown_text(at) -> str:
    blocks = [*at.markdown, *at.caption, *at.title, *at.info, *at.warning, *at.subheader]
    return " ".join(str(b.value) for b in blocks) + " " + " ".join(
        str(o) for box in at.selectbox for o in box.options)


def test_without_sign_in_nothing_but_the_sign_in_shows(team_app):
    team_app.user = {"is_logged_in": False}
    team_app.run()
    assert not team_app.exception
    assert [b.label for b in team_app.button] == ["Se connecter"]
    assert not team_app.metric and not team_app.selectbox
    assert "acme" not in shown_text(team_app) and "globex" not in shown_text(team_app)


def test_a_signed_in_stranger_sees_no_workspace(team_app):
    members.add("acme", "claire@acme.fr")
    signed_in(team_app, "mallory@example.com").run()
    assert not team_app.exception
    assert "mallory@example.com" in team_app.warning[0].value.replace("\\", "").replace("\u2060", "")
    assert not team_app.metric and "acme" not in shown_text(team_app)


def test_an_unverified_address_is_not_taken_for_the_member(team_app):
    members.add("acme", "claire@acme.fr")
    signed_in(team_app, "claire@acme.fr", email_verified=False).run()
    assert not team_app.metric and team_app.warning


def test_a_member_opens_their_workspace_never_another(team_app):
    members.add("acme", "claire@acme.fr")
    team_app.session_state["workspace"] = "globex"  # a session that held another client's workspace
    signed_in(team_app, "claire@acme.fr").run()
    assert not team_app.exception
    assert team_app.session_state["workspace"] == "acme"
    assert team_app.metric  # the flash figures of acme
    assert "globex" not in team_app.selectbox(key="workspace_choice").options  # nor its name


def test_a_member_who_picks_another_workspace_stays_in_theirs(team_app):
    members.add("acme", "claire@acme.fr")
    signed_in(team_app, "claire@acme.fr").run()
    # claire is no member of the demo: it is not even listed, and a session that held it is sent back to acme
    assert "demo" not in team_app.selectbox(key="workspace_choice").options
    team_app.session_state["workspace"] = "demo"
    team_app.run()
    assert not team_app.exception
    assert team_app.session_state["workspace"] == "acme"


def test_a_rep_limited_member_sees_only_their_own_review(team_app):
    members.add("acme", "bob@acme.fr", rep="bob")
    signed_in(team_app, "bob@acme.fr").run()
    assert not team_app.exception, [e.value for e in team_app.exception]
    assert team_app.title[0].value == "Revue individuelle"
    assert team_app.selectbox(key="review_owner").options == ["bob"]
    # no filter lists the other reps, no page shows them
    assert "alice" not in shown_text(team_app) and "chloe" not in shown_text(team_app)


def test_a_page_run_without_the_entry_script_reads_nothing_in_team_mode(team_app, monkeypatch):
    """A freshly started server may run pages/flash.py alone (a first visit at /flash): no gate ran, no figure."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import APP

    page = AppTest.from_file(str(APP.parent / "pages" / "flash.py"), default_timeout=180)
    page.session_state["workspace"] = "acme"
    page.run()
    assert not page.exception and not page.metric and not page.dataframe


def test_a_mistyped_mode_opens_nothing(app, monkeypatch):
    monkeypatch.setenv("COCKPIT_MODE", "teams")
    app.run()
    assert not app.exception
    assert "teams" in app.error[0].value
    assert not app.metric and not app.selectbox


def test_a_rep_limited_member_switches_the_language(team_app):
    members.add("acme", "bob@acme.fr", rep="bob")
    signed_in(team_app, "bob@acme.fr").run()
    team_app.segmented_control(key="lang_choice").set_value("en").run()
    assert not team_app.exception
    assert team_app.title[0].value == "Individual review"
