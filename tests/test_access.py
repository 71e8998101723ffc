"""Who may open which workspace (analytics/access.py), in consultant mode: by its link or passphrase only."""
from __future__ import annotations

import pytest

from analytics import access, registry, store

NOBODY = access.Visitor()


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("COCKPIT_WORKSPACES", str(tmp_path))
    monkeypatch.delenv("COCKPIT_MODE", raising=False)
    monkeypatch.delenv("COCKPIT_MAX_WORKSPACES", raising=False)
    monkeypatch.delenv("COCKPIT_MAX_DISK_MB", raising=False)
    yield tmp_path
    for name in store.list_workspaces():
        store.close_workspace(name)


def test_consultant_is_the_default_mode(root):
    assert access.mode() == "consultant"


def test_an_unknown_mode_is_refused_with_its_variable(root, monkeypatch):
    monkeypatch.setenv("COCKPIT_MODE", "public")
    with pytest.raises(ValueError, match="COCKPIT_MODE"):
        access.mode()


def test_a_session_given_nothing_sees_only_the_demo(root):
    access.create("ACME Corp")
    access.create("Globex")
    assert access.visible(NOBODY) == [store.DEMO_WORKSPACE]


def test_a_session_may_not_open_a_workspace_it_was_not_given(root):
    acme = access.create("ACME Corp").workspace
    assert not access.may_open(NOBODY, acme)
    assert access.may_open(access.Visitor(granted=frozenset({acme})), acme)


def test_a_granted_id_that_is_not_a_registered_workspace_opens_nothing(root):
    # e.g. a file stem guessed from a name: only what the registry holds can be opened
    assert not access.may_open(access.Visitor(granted=frozenset({"acme-corp"})), "acme-corp")


def test_the_list_is_the_demo_then_the_session_s_workspaces_by_name(root):
    zeta, alpha = access.create("Zeta").workspace, access.create("alpha").workspace
    access.create("Globex")  # not given to this session
    visitor = access.Visitor(granted=frozenset({zeta, alpha}))
    assert [access.display_name(w) for w in access.visible(visitor)] == ["demo", "alpha", "Zeta"]


@pytest.mark.parametrize("given", [
    lambda c: c.token,                                   # the token alone
    lambda c: f"http://cockpit.local:8501/?w={c.token}",  # the whole link
    lambda c: f"http://cockpit.local/entonnoir?x=1&w={c.token}",
    lambda c: c.passphrase,                              # the passphrase
    lambda c: "  " + c.passphrase.upper() + " ",         # typed in capitals, with spaces around
    lambda c: c.passphrase.replace("-", " "),            # spaces for dashes
])
def test_the_link_or_the_passphrase_opens_its_workspace(root, given):
    created = access.create("ACME Corp")
    access.create("Globex")
    assert access.open_secret(given(created)) == created.workspace


@pytest.mark.parametrize("typed", ["ACME Corp", "acme-corp", "", "?w=", "?w=nope", "acmecorp"])
def test_a_name_or_a_wrong_secret_opens_nothing(root, typed):
    access.create("ACME Corp")
    assert access.open_secret(typed) is None


def test_the_token_is_not_derived_from_the_name(root):
    first = access.create("ACME Corp")
    assert "acme" not in first.token.lower() and len(first.token) >= 20
    assert first.token != registry.workspace_id("ACME Corp")


def test_the_passphrase_is_not_kept_in_clear(root):
    created = access.create("ACME Corp")
    assert created.passphrase not in (root / registry.REGISTRY_FILE).read_text(encoding="utf-8")


def test_the_workspace_limit_refuses_the_next_one_and_writes_nothing(root, monkeypatch):
    monkeypatch.setenv("COCKPIT_MAX_WORKSPACES", "2")
    access.create("One")
    access.create("Two")
    with pytest.raises(access.Refused) as refused:
        access.create("Three")
    assert (refused.value.key, refused.value.params) == ("access.limit_workspaces", {"limit": 2})
    assert len(registry.entries()) == 2 and len(list(root.glob("*.duckdb"))) == 2


def test_the_disk_limit_refuses_a_new_workspace(root, monkeypatch):
    (root / "big.bin").write_bytes(b"\0" * 2_000_000)  # 2 MB in the folder, the limit is 1 MB
    monkeypatch.setenv("COCKPIT_MAX_DISK_MB", "1")
    with pytest.raises(access.Refused) as refused:
        access.create("One")
    assert (refused.value.key, refused.value.params) == ("access.limit_disk", {"limit": 1})


@pytest.mark.parametrize("name, key", [("   ", "access.name_empty"), ("!!!", "access.name_empty"),
                                       ("x" * 61, "access.name_too_long")])
def test_a_name_without_letters_or_too_long_is_refused(root, name, key):
    with pytest.raises(access.Refused) as refused:
        access.create(name)
    assert refused.value.key == key


def test_the_private_link_is_the_app_address_with_the_token(root):
    created = access.create("ACME Corp")
    assert access.link("http://cockpit.local:8501/", created.workspace) == f"http://cockpit.local:8501/?w={created.token}"
    assert access.link("http://cockpit.local:8501/", store.DEMO_WORKSPACE) is None


def test_the_team_mode_asks_the_memberships_and_nothing_else(root, monkeypatch):
    """In team mode the memberships (analytics/members.py) decide; a link given to the session does not count."""
    from analytics import members

    acme, globex = access.create("ACME Corp").workspace, access.create("Globex").workspace
    members.add(acme, "ana@acme.fr")
    members.add(store.DEMO_WORKSPACE, "ana@acme.fr")
    members.add(globex, "carl@globex.com")
    monkeypatch.setenv("COCKPIT_MODE", "team")
    ana = access.Visitor(granted=frozenset({globex}), email="Ana@acme.fr")  # a link does not count in team mode
    assert access.visible(ana) == [store.DEMO_WORKSPACE, acme]
    assert not access.may_open(ana, globex)
    assert access.visible(access.Visitor(email="bob@acme.fr")) == []
