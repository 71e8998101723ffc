"""Fixtures for the browser tests: the app on a free local port, and Debian's headless Chromium driven by Playwright.

Playwright's sync API is used directly (no pytest-playwright plugin), with the system's /usr/bin/chromium:
`playwright install` is never run, as it downloads a browser build of its own. scripts/setup.sh installs chromium.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, REPO, streamlit_server, wait_for_app

VIEWPORT = {"width": 1440, "height": 1000}


def pytest_collection_modifyitems(items):
    # Every test in this folder drives a browser: mark them so `-m "not browser"` leaves them out.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test so that the `page` fixture knows whether the test failed.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, browser):
    """The Cockpit app (app.py) served on a free loopback port, with its workspaces in a temporary folder."""
    app = REPO / "app.py"
    if not app.exists():
        pytest.fail("app.py is missing", pytrace=False)
    workspaces = tmp_path_factory.mktemp("workspaces")
    with streamlit_server(app, workspaces, ARTIFACTS / "streamlit-app.log") as url:
        _warm_up(browser, url)
        yield url


def _warm_up(browser, url: str) -> None:
    """Open the app once at "/" before any test deep-links into it.

    With a pages/ folder, Streamlit resolves the very first run of a fresh server against the folder's file
    stems before app.py's st.navigation has run, and shows "Page not found" for a url_path such as /entonnoir;
    every later session resolves it through app.py's navigation. A user meets this at most once per server
    start; a test must not depend on which test happens to run first.
    """
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(url)
        wait_for_app(page)
    finally:
        context.close()


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's package) for the whole session."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/setup.sh` (it installs Debian's chromium)",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser context and page per test (own cookies, so own Streamlit session).

    When the test fails, a screenshot of where it stood is saved as test-artifacts/FAILED-<test>.png.
    """
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        try:
            page.screenshot(path=str(ARTIFACTS / f"FAILED-{name}.png"), full_page=True)
        except Exception:  # the page may be gone: the failure itself is what matters
            pass
    context.close()
