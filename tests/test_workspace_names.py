"""Workspace names (analytics/registry.py): one name key per workspace, one file per key, names set once."""
from __future__ import annotations

import json

import pytest

from analytics import access, registry, store


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("COCKPIT_WORKSPACES", str(tmp_path))
    yield tmp_path
    for name in store.list_workspaces():
        store.close_workspace(name)


@pytest.mark.parametrize("a, b", [
    ("ACME Corp", "acme-corp"),           # case and punctuation
    ("ACME Corp", "Acme  corp"),          # case and two spaces
    ("Société Générale", "Société  Générale"),
    ("Société Générale", "SOCIÉTÉ GÉNÉRALE"),
    ("Dupont & Fils", "dupont fils"),
])
def test_names_differing_only_by_case_spaces_or_punctuation_have_one_key_and_one_file(a, b):
    assert registry.name_key(a) == registry.name_key(b)
    assert registry.workspace_id(a) == registry.workspace_id(b)


@pytest.mark.parametrize("a, b", [
    ("Démo", "demo"),                     # an accent is a letter: "Démo" is not the demo
    ("Société Générale", "Societe Generale"),
    ("東京", "大阪"),                       # two non-Latin names: no ASCII in common, still two files
    ("Client A", "Client B"),
])
def test_different_names_never_share_a_file(a, b):
    assert registry.workspace_id(a) != registry.workspace_id(b)


def test_the_demo_keeps_its_file_and_a_client_file_is_never_the_demo():
    assert registry.workspace_id("Demo") == store.DEMO_WORKSPACE
    assert registry.workspace_id("Démo") != store.DEMO_WORKSPACE


def test_a_variant_of_an_existing_name_is_refused_before_anything_is_written(root):
    access.create("ACME Corp")
    before = (root / registry.REGISTRY_FILE).read_text(encoding="utf-8")
    with pytest.raises(access.Refused) as refused:
        access.create("acme-corp")
    assert refused.value.key == "access.name_taken"
    # the display name stays the first one typed, for everyone
    assert (root / registry.REGISTRY_FILE).read_text(encoding="utf-8") == before
    (entry,) = json.loads(before).values()
    assert entry["name"] == "ACME Corp"
    assert sorted(p.name for p in root.glob("*.duckdb")) == [registry.workspace_id("ACME Corp") + ".duckdb"]


def test_two_spaces_in_a_name_are_kept_as_one(root):
    assert access.display_name(access.create("Société  Générale").workspace) == "Société Générale"


def test_typing_the_demo_s_name_does_not_make_a_second_demo(root):
    with pytest.raises(access.Refused) as refused:
        access.create("DEMO")
    assert refused.value.key == "access.name_taken"


def test_a_workspace_file_made_before_the_registry_is_registered_with_its_old_name(root):
    store.open_workspace("client-dupont")  # a file of the former naming, with its .name beside it
    (root / "client-dupont.name").write_text("Client Dupont", encoding="utf-8")
    assert registry.entries()["client-dupont"]["name"] == "Client Dupont"
    with pytest.raises(access.Refused):  # and its name is taken
        access.create("client dupont")


def test_the_administrator_lists_each_workspace_with_its_link(root, capsys):
    created = access.create("ACME Corp")
    assert registry.main(["--base-url", "https://cockpit.example/"]) == 0
    assert capsys.readouterr().out == f"ACME Corp\t{created.workspace}\thttps://cockpit.example/?w={created.token}\n"
