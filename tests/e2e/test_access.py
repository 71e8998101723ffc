"""Access and session state in a real browser (issue 20): a tab never shows another client's workspace.

A server of its own, on a workspaces folder seeded before it starts with two clients: "AAA Autre client" (first of
the folder, as the old selectbox fell back to; one rep, "Zorro Secret", 77 777 € won) and "Client Vide" (empty).
Sessions that were never given their link click pages 0.1 s apart, 12 at once, and try the address and the typed
name; a session given the links switches from every page.
"""
from __future__ import annotations

import os
from datetime import date, timedelta

import pytest

from analytics import access, store
from analytics.i18n import t
from analytics.ingest.importer import plan_file, run_import
from tests.files import csv_bytes

from .browser import ARTIFACTS, REPO, assert_no_exception, screenshot, streamlit_server, wait_for_app
from .conftest import VIEWPORT
from .test_pages import PAGES, metric_value

OTHER, EMPTY, REP = "AAA Autre client", "Client Vide", "Zorro Secret"
SECRETS = (OTHER, REP)  # never in the page of a session not given the link
CLICKS, SESSIONS, SESSION_CLICKS = 50, 12, 6


def _seed(root) -> dict[str, access.Created]:
    os.environ["COCKPIT_WORKSPACES"] = str(root)
    today = date.today()
    other = access.create(OTHER)
    con = store.open_workspace(other.workspace)
    export = csv_bytes([
        ["Opportunity ID", "Opportunity Owner", "Stage", "Amount", "Created Date", "Close Date"],
        ["Z1", REP, "Closed Won", "77777", (today - timedelta(days=30)).isoformat(), today.isoformat()],
    ])
    run_import(con, plan_file(con, "autre.csv", export), snapshot_date=today)
    store.close_workspace(other.workspace)  # the server opens it: one process per file
    empty = access.create(EMPTY)
    store.close_workspace(empty.workspace)
    return {OTHER: other, EMPTY: empty}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, browser):
    root = tmp_path_factory.mktemp("access-workspaces")
    before = os.environ.get("COCKPIT_WORKSPACES")
    try:
        created = _seed(root)
    finally:
        if before is None:
            os.environ.pop("COCKPIT_WORKSPACES", None)
        else:
            os.environ["COCKPIT_WORKSPACES"] = before
    with streamlit_server(REPO / "app.py", root, ARTIFACTS / "streamlit-access.log") as url:
        context = browser.new_context(viewport=VIEWPORT)  # the first run of a fresh server (see conftest._warm_up)
        context.new_page().goto(url)
        wait_for_app(context.pages[0])
        context.close()
        yield url, created


def _workspace_shown(page) -> str:
    """The workspace the sidebar's selectbox shows (the value of its combobox)."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first
    return box.locator('input[role="combobox"]').input_value()


def _assert_nothing_of_the_other_client(page) -> None:
    html = page.content()
    for secret in SECRETS:
        assert secret not in html, f"{secret!r} shown at {page.url}"
    assert_no_exception(page)


def _nav_links(page):
    return page.locator('[data-testid="stSidebarNav"] a')


def test_a_session_clicking_pages_0_1_s_apart_stays_on_its_workspace(page, seeded):
    url, _ = seeded
    page.goto(url)
    wait_for_app(page, until=page.locator("h1", has_text=t("flash.title", "fr")))
    won = metric_value(page, t("flash.kpi.won_amount", "fr"))
    links = _nav_links(page)
    count = links.count()
    for i in range(CLICKS):
        links.nth((i * 3 + 1) % count).click(timeout=10_000)
        page.wait_for_timeout(100)
        _assert_nothing_of_the_other_client(page)
    wait_for_app(page)
    _assert_nothing_of_the_other_client(page)
    assert _workspace_shown(page).strip().startswith("demo")
    links.nth(1).click()  # the flash figures: the demo's, as before the clicks
    wait_for_app(page, until=page.locator("h1", has_text=t("flash.title", "fr")))
    assert metric_value(page, t("flash.kpi.won_amount", "fr")) == won


def test_twelve_sessions_clicking_at_once_stay_on_their_workspace(browser, seeded):
    url, _ = seeded
    contexts = [browser.new_context(viewport=VIEWPORT, locale="fr-FR") for _ in range(SESSIONS)]
    try:
        pages = [c.new_page() for c in contexts]
        for p in pages:
            p.set_default_timeout(60_000)
            p.goto(url)
        for p in pages:
            wait_for_app(p, timeout=120_000)
        for round_ in range(SESSION_CLICKS):  # every session clicks, 0.1 s apart, round after round
            for i, p in enumerate(pages):
                links = _nav_links(p)
                links.nth((round_ + i) % links.count()).click(timeout=30_000)
                p.wait_for_timeout(100)
        for i, p in enumerate(pages):
            wait_for_app(p, timeout=120_000)
            _assert_nothing_of_the_other_client(p)
            assert _workspace_shown(p).strip().startswith("demo"), i
        screenshot(pages[-1], "access-twelve-sessions")
    finally:
        for c in contexts:
            c.close()


@pytest.mark.parametrize("query", ["w={id}", "workspace={id}", "w={name}", "workspace={name}&w={name}"])
def test_the_address_opens_nothing_without_the_link(page, seeded, query):
    url, created = seeded
    other = created[OTHER]
    page.goto(f"{url}/?" + query.format(id=other.workspace, name=OTHER.replace(" ", "%20")))
    wait_for_app(page)
    _assert_nothing_of_the_other_client(page)
    assert _workspace_shown(page).strip().startswith("demo")


def test_typing_the_other_client_s_name_does_not_open_it(page, seeded):
    url, _ = seeded
    page.goto(url)
    wait_for_app(page)
    page.locator('[data-testid="stPopover"] button', has_text=t("app.new_workspace", "fr")).first.click()
    field = page.locator('[data-testid="stPopoverBody"] input[type="text"]').first
    field.fill("aaa-autre CLIENT")
    field.press("Enter")
    wait_for_app(page)
    page.locator('[data-testid="stPopoverBody"] button', has_text=t("app.create_workspace", "fr")).first.click()
    wait_for_app(page, until=page.get_by_text("existe déjà"))
    page.keyboard.press("Escape")
    _assert_nothing_of_the_other_client(page)
    assert _workspace_shown(page).strip().startswith("demo")
    # the list: the demo alone
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.locator('button[aria-haspopup]').click()
    options = page.get_by_role("option")
    options.first.wait_for()
    assert [o.strip() for o in options.all_inner_texts()] == ["demo"]
    screenshot(page, "access-typed-name")


def test_the_link_opens_its_workspace_and_its_figures(page, seeded):
    url, created = seeded
    page.goto(f"{url}/?w={created[OTHER].token}")
    wait_for_app(page, until=page.locator("h1", has_text=t("flash.title", "fr")))
    assert _workspace_shown(page).strip().startswith(OTHER)
    assert metric_value(page, t("flash.kpi.won_amount", "fr")) == "77 777 €"
    screenshot(page, "access-link")


def _choose_workspace(page, name: str) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.locator('button[aria-haspopup]').click()
    page.get_by_role("option", name=name, exact=True).click()


@pytest.mark.parametrize("name", PAGES)
def test_switching_to_an_empty_workspace_from_every_page_opens_it_on_import(page, seeded, name):
    url, created = seeded
    page.goto(f"{url}/?w={created[EMPTY].token}")  # given the empty workspace's link: it lands on Import
    wait_for_app(page, until=page.get_by_text(t("import.workspace_content", "fr", name=EMPTY)))
    _choose_workspace(page, "demo")
    wait_for_app(page, until=page.get_by_text(t("import.workspace_content", "fr", name="demo")))
    link = page.locator(f'[data-testid="stSidebarNav"] a[href$="/{PAGES[name]}"]') if PAGES[name] else \
        _nav_links(page).nth(1)  # the default page is served at /
    link.first.click()
    wait_for_app(page)
    _choose_workspace(page, EMPTY)
    wait_for_app(page, until=page.get_by_text(t("import.workspace_content", "fr", name=EMPTY)))
    assert page.locator("h1").first.inner_text() == t("import.title", "fr")
    assert page.get_by_text(t("import.workspace_content", "fr", name="demo")).count() == 0
    assert _workspace_shown(page).strip().startswith(EMPTY)
