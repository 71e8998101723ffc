"""Access and session state as a browser session meets them (AppTest on app.py): links, passphrases, names,
switching, the language control."""
from __future__ import annotations

import pytest

from analytics import access, store
from ui.state import plain

PAGES = ["pages/import_page.py", "pages/flash.py", "pages/funnel.py", "pages/segments.py", "pages/pipeline.py",
         "pages/review_individual.py", "pages/review_collective.py"]
IMPORT_TITLE = "Importer un export CRM"


def _content_title(at) -> str:
    """The Import page's "Contenu de l'espace « … »" subheader (which workspace is open)."""
    return next(h.value for h in at.subheader if h.value.startswith("Contenu de l'espace"))


def _listed(at) -> list[str]:
    return [access.display_name(w) for w in at.selectbox(key="workspace_choice").options]


def test_a_private_link_in_the_address_opens_its_workspace(app):
    created = access.create("Client Dupont")
    app.query_params["w"] = created.token
    app.run()
    assert not app.exception
    assert app.session_state["workspace"] == created.workspace
    assert _listed(app) == ["demo", "Client Dupont"]
    assert _content_title(app) == "Contenu de l'espace « Client Dupont »"  # empty: it lands on Import


def test_an_unknown_link_opens_nothing_and_says_so(app):
    access.create("Client Dupont")
    app.query_params["w"] = "not-a-token"
    app.run()
    assert not app.exception
    assert app.session_state["workspace"] == store.DEMO_WORKSPACE
    assert _listed(app) == ["demo"]
    assert any("n'ouvre aucun espace" in e.value for e in app.error)


def test_a_session_never_given_the_link_sees_neither_the_name_nor_the_workspace(app):
    access.create("Client Dupont")
    app.run()
    assert _listed(app) == ["demo"]
    app.session_state["new_workspace_name"] = "client-dupont"  # a variant of the existing name, typed
    app.button(key="create_workspace").click().run()
    assert not app.exception
    assert app.session_state["workspace"] == store.DEMO_WORKSPACE  # not opened
    assert _listed(app) == ["demo"]
    (error,) = [e.value for e in app.error]
    assert "existe déjà" in error and "lien privé ou sa phrase secrète" in error
    # the page shows the name typed (escaped), never the stored one
    assert "Client Dupont" not in error


def test_a_workspace_stored_in_the_session_without_its_link_is_not_opened(app):
    other = access.create("Client Dupont").workspace
    app.session_state["workspace"] = other  # e.g. left by a stale widget value: never trusted
    app.run()
    assert app.session_state["workspace"] == store.DEMO_WORKSPACE
    assert _listed(app) == ["demo"]


def test_the_passphrase_opens_the_workspace_in_the_sidebar(app):
    created = access.create("Client Dupont")
    app.run()
    app.text_input(key="open_workspace_secret").set_value(created.passphrase)
    app.button(key="open_workspace").click().run()
    assert not app.exception
    assert app.session_state["workspace"] == created.workspace
    assert _listed(app) == ["demo", "Client Dupont"]


def test_a_wrong_passphrase_opens_nothing(app):
    access.create("Client Dupont")
    app.run()
    app.text_input(key="open_workspace_secret").set_value("Client Dupont")  # the name is not a secret
    app.button(key="open_workspace").click().run()
    assert app.session_state["workspace"] == store.DEMO_WORKSPACE
    assert any("n'ouvre aucun espace" in e.value for e in app.error)


def test_creating_a_workspace_shows_its_private_link_and_passphrase(app):
    app.run()
    app.session_state["new_workspace_name"] = "Client Neuf"
    app.button(key="create_workspace").click().run()
    ws = app.session_state["workspace"]
    link, passphrase = (c.value for c in app.code[:2])
    assert link.endswith("?w=" + access.registry.token(ws))
    assert access.open_secret(link) == ws and access.open_secret(passphrase) == ws
    assert app.query_params["w"] == access.registry.token(ws)  # the address holds it: a reload reopens it


def test_a_workspace_name_is_shown_as_typed_never_as_markdown(app):
    app.run()
    app.session_state["new_workspace_name"] = "**gras** ![i](http://127.0.0.1:9/i.png)"
    app.button(key="create_workspace").click().run()
    assert not app.exception
    # every markdown character escaped: Streamlit shows the text, no bold, no image fetched
    shown = _content_title(app)
    assert shown.replace("\u2060", "") == r"Contenu de l'espace « \*\*gras\*\* \!\[i\]\(http\://127\.0\.0\.1\:9/i\.png\) »"
    assert "http\u2060\\:" in shown  # and the address is not made a link
    assert any(r"\*\*gras\*\*" in s.value for s in app.success)
    assert not any("**gras**" in m for m in [s.value for s in app.success] + [h.value for h in app.subheader])


@pytest.mark.parametrize("page", PAGES)
def test_switching_to_an_empty_workspace_from_any_page_opens_it_on_import(app, page):
    created = access.create("Client Vide")
    app.query_params["w"] = created.token
    app.run()
    app.selectbox(key="workspace_choice").set_value(store.DEMO_WORKSPACE).run()  # back to the demo
    app.switch_page(page).run()
    app.selectbox(key="workspace_choice").set_value(created.workspace).run()
    assert not app.exception
    assert app.title[0].value == IMPORT_TITLE
    assert _content_title(app) == "Contenu de l'espace « Client Vide »"  # not the demo


def test_a_click_on_the_selected_language_keeps_it(app):
    app.run()
    app.segmented_control(key="lang_choice").set_value("en").run()
    app.segmented_control(key="lang_choice").set_value(None).run()  # what a click on the selected option sends
    assert not app.exception
    assert app.session_state["lang"] == "en"
    assert app.segmented_control(key="lang_choice").value == "en"


def test_an_unknown_language_in_the_session_falls_back_to_french_before_any_widget(app):
    app.session_state["lang"] = None
    app.run()
    assert not app.exception
    assert app.session_state["lang"] == "fr"


def test_an_import_past_the_disk_limit_stores_nothing_and_says_why(app, monkeypatch):
    from tests.files import csv_bytes

    created = access.create("Client Dupont")
    app.query_params["w"] = created.token
    app.run()
    export = csv_bytes([["Opportunity ID", "Opportunity Owner", "Stage", "Amount", "Created Date"],
                        ["X1", "Alice", "Closed Won", "1200", "2026-01-05"]])
    app.file_uploader[0].upload("export.csv", export, "text/csv").run()
    monkeypatch.setenv("COCKPIT_MAX_DISK_MB", "0")  # any folder is at the limit
    app.button(key="run_import").click().run()
    assert not app.exception
    assert any("rien n'a été importé" in e.value for e in app.error)
    con = store.open_workspace(created.workspace)
    assert con.execute("SELECT count(*) FROM opportunities").fetchall()[0][0] == 0


@pytest.mark.parametrize("text, shown", [
    ("**gras**", r"\*\*gras\*\*"),
    ("![i](x)", r"\!\[i\]\(x\)"),
    ("<script>", r"\<script\>"),
    ("export.xlsx", r"export\.xlsx"),                              # a file name stays as typed (no joiner)
    ("http://a.fr", "http\u2060\\://a\u2060\\.fr"),               # an address: never a link
    ("www.a.fr", "www\u2060\\.a\u2060\\.fr"),
    ("x@a.fr", "x\u2060@a\u2060\\.fr"),
])
def test_plain_escapes_markdown_and_breaks_links(text, shown):
    assert plain(text) == shown
