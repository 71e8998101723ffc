"""The app in a real headless Chromium: the demo company opens, every page draws its charts without an exception,
a CRM export goes through upload, mapping and import and its figures show, a bad file gets its message, and the
FR/EN switch changes the labels. A screenshot of each page is saved under test-artifacts/.
"""
from __future__ import annotations

import ast
import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from analytics.i18n import t
from analytics.ingest.problems import ImportProblem
from analytics.ingest.read import read_file

from tests.files import csv_bytes

from .browser import REPO, expect_charts, screenshot, wait_for_app

# The pages as app.py's st.navigation lists them: page file stem -> url_path ("" for the default page), so that
# a new page is tested without editing this file.
def _pages() -> dict[str, str]:
    calls = [n for n in ast.walk(ast.parse((REPO / "app.py").read_text(encoding="utf-8")))
             if isinstance(n, ast.Call) and getattr(n.func, "attr", None) == "Page"]
    out = {}
    for call in calls:
        keywords = {k.arg: getattr(k.value, "value", None) for k in call.keywords}
        # Streamlit serves the default page at "/" only (its url_path answers "Page not found").
        out[Path(call.args[0].value).stem] = "" if keywords.get("default") else keywords.get("url_path")
    return out


PAGES = _pages()
# pages with no chart of their own on the demo company (placeholders leave this set as their page lands)
NO_CHART_PAGES = {"import_page"}


def _space(text: str) -> str:
    """Text as read on screen with every kind of space made a plain one (French numbers use narrow spaces), without
    the invisible word joiners ui.state.plain puts in user text so that no address in it becomes a link."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text.replace("\u2060", "")).strip()


def open_page(page, app_url: str, url_path: str = "") -> None:
    page.goto(f"{app_url}/{url_path}")
    wait_for_app(page)
    if page.get_by_text("Page not found").count():  # Streamlit's modal for an unknown url_path
        pytest.fail(f"no page at /{url_path}", pytrace=False)


def go_to(page, label: str, title: str) -> None:
    """Follow the sidebar's navigation link (keeps the session, unlike a new URL) to the page titled `title`."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()
    wait_for_app(page, until=page.locator("h1", has_text=title))


def metric_value(page, label: str) -> str:
    tile = page.locator('[data-testid="stMetric"]', has=page.locator('[data-testid="stMetricLabel"]', has_text=label))
    return _space(tile.first.locator('[data-testid="stMetricValue"]').inner_text())


def test_pages_are_found_in_app_py():
    assert list(PAGES.values()).count("") == 1, PAGES  # one default page
    assert all(url is not None for url in PAGES.values()), PAGES  # every other page has a url_path
    assert {"import_page", "flash"} <= PAGES.keys(), PAGES


def test_the_demo_company_opens(page, app_url):
    # The app lands on the flash figures when the workspace holds data (the demo company does).
    open_page(page, app_url)
    wait_for_app(page, until=page.locator("h1", has_text=t("flash.title", "fr")))
    won = metric_value(page, t("flash.kpi.won_amount", "fr"))
    assert re.fullmatch(r"[1-9][\d ]* €", won), won  # the demo's won amount this month, in euros
    screenshot(page, "demo-flash")
    # The import page says which workspace is open, and the demo has its weekly snapshots.
    go_to(page, t("nav.import", "fr"), t("import.title", "fr"))
    assert page.get_by_text(t("import.workspace_content", "fr", name="demo")).count() == 1
    assert page.get_by_text(t("import.snapshots", "fr", count=0, last="")[:12]).count() == 1


@pytest.mark.parametrize("name", PAGES)
def test_each_page_renders_its_charts(page, app_url, name):
    open_page(page, app_url, PAGES[name])
    if name not in NO_CHART_PAGES:
        marks = expect_charts(page)
        assert all(m > 0 for m in marks)
    screenshot(page, f"page-{name}")


def _crm_export(today: date) -> bytes:
    """A small Salesforce-like French export: ';', decimal commas, spaces between thousands, dd/mm/yyyy dates.
    Won this month: 12 500,50 + 7 499,50 = 20 000 €; one open deal, one lost."""
    d = lambda x: x.strftime("%d/%m/%Y")  # noqa: E731
    created, later = d(today - timedelta(days=40)), d(today + timedelta(days=30))
    rows = [
        "ID de l'opportunité;Nom de l'opportunité;Propriétaire de l'opportunité;Nom du compte;Étape;Montant;"
        "Probabilité (%);Date de création;Date de clôture",
        f"006A1;Refonte ERP;Alice Martin;Société Alpha;Gagnée;12 500,50;100;{created};{d(today)}",
        f"006A2;Licences CRM;Bruno Petit;Société Beta;Gagnée;7 499,50;100;{created};{d(today)}",
        f"006A3;Intégration;Alice Martin;Société Gamma;Proposition;30 000,00;50;{created};{later}",
        f"006A4;Formation;Bruno Petit;Société Delta;Perdue;5 000,00;0;{created};{d(today)}",
    ]
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8")


def _new_workspace(page, name: str) -> None:
    page.locator('[data-testid="stPopover"] button', has_text=t("app.new_workspace", "fr")).first.click()
    field = page.locator('[data-testid="stPopoverBody"] input[type="text"]').first
    field.fill(name)
    field.press("Enter")
    wait_for_app(page)
    page.locator('[data-testid="stPopoverBody"] button', has_text=t("app.create_workspace", "fr")).first.click()
    wait_for_app(page, until=page.get_by_text(t("import.workspace_content", "fr", name=name)))
    page.keyboard.press("Escape")  # close the popover


def test_a_crm_export_is_uploaded_mapped_imported_and_its_figures_show(page, app_url):
    open_page(page, app_url)
    _new_workspace(page, "Client E2E")
    assert page.get_by_text(t("import.workspace_content", "fr", name="Client E2E")).count() == 1

    page.set_input_files('input[type="file"]', files=[{
        "name": "export_salesforce.csv", "mimeType": "text/csv", "buffer": _crm_export(date.today()),
    }])
    wait_for_app(page, until=page.get_by_text(t("import.stages_title", "fr")))
    # The mapping shows: the sheet's expander with its row and column count, and the stage mapping.
    assert page.get_by_text(t("import.rows_columns", "fr", rows=4, cols=9)).count() >= 1
    assert page.get_by_text(t("import.stages_title", "fr")).count() == 1
    screenshot(page, "import-mapped")

    page.locator('[data-testid="stButton"] button', has_text=t("import.run", "fr")).first.click()
    # Importer opens the flash figures; the import's report stays on the Import page
    wait_for_app(page, until=page.locator("h1", has_text=t("flash.title", "fr")))
    go_to(page, t("nav.import", "fr"), t("import.title", "fr"))
    success = page.locator('[data-testid="stAlertContainer"]', has_text=t("import.success", "fr", counts="")[:14])
    assert success.count() == 1
    assert "4" in success.first.inner_text()
    screenshot(page, "import-done")

    go_to(page, t("nav.flash", "fr"), t("flash.title", "fr"))
    assert metric_value(page, t("flash.kpi.won_amount", "fr")) == "20 000 €"
    assert metric_value(page, t("flash.kpi.won_count", "fr")) == "2"
    screenshot(page, "uploaded-flash")


def test_a_file_without_deals_is_imported_and_reported_on_the_import_page(page, app_url):
    """A reps file makes no snapshot: Importer (a fragment) reruns the whole page, which says what was imported,
    counts the two reps and empties the uploader; no flash figures to go to."""
    open_page(page, app_url)
    _new_workspace(page, "Client Reps")
    reps = csv_bytes([["Commercial", "Équipe", "Région", "Coût horaire"],
                      ["Ann Martin", "Nord", "Île-de-France", "60"], ["Bob Durand", "Sud", "Occitanie", "55"]])
    page.set_input_files('input[type="file"]', files=[{"name": "commerciaux.csv", "mimeType": "text/csv",
                                                       "buffer": reps}])
    button = page.locator('[data-testid="stButton"] button', has_text=t("import.run", "fr")).first
    wait_for_app(page, until=button)
    button.click()
    success = page.locator('[data-testid="stAlertContainer"]', has_text=t("import.success", "fr", counts="")[:14])
    wait_for_app(page, until=success)
    assert f"{t('table.reps', 'fr')} : 2" in success.first.inner_text()
    assert page.locator("h1", has_text=t("import.title", "fr")).count() == 1
    assert page.locator('[data-testid="stFileUploaderFile"]').count() == 0  # the next upload starts empty
    screenshot(page, "import-reps-done")


def test_a_bad_file_shows_its_message(page, app_url):
    junk = random.Random(4).randbytes(4096)
    with pytest.raises(ImportProblem) as problem:
        read_file("export.csv", junk)
    expected = _space(problem.value.render("fr"))

    open_page(page, app_url, PAGES["import_page"])
    page.set_input_files('input[type="file"]', files=[{"name": "export.csv", "mimeType": "text/csv", "buffer": junk}])
    alert = page.locator('[data-testid="stAlertContainer"]', has_text=expected[:30])
    wait_for_app(page, until=alert)
    assert alert.count() == 1, expected
    assert _space(alert.first.inner_text()) == expected
    screenshot(page, "import-bad-file")


def test_the_language_switch_changes_the_labels(page, app_url):
    open_page(page, app_url, PAGES["flash"])
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.get_by_text(t("nav.flash", "fr")).count() == 1
    page.locator('[data-testid="stSidebar"] button', has_text="English").first.click()
    wait_for_app(page, until=nav.get_by_text(t("nav.flash", "en")))
    assert nav.get_by_text(t("nav.flash", "en")).count() == 1
    assert nav.get_by_text(t("nav.flash", "fr")).count() == 0
    assert page.locator("h1", has_text=t("flash.title", "en")).count() == 1
    assert page.get_by_text(t("flash.kpi.won_amount", "en")).count() >= 1
    screenshot(page, "flash-english")
    page.locator('[data-testid="stSidebar"] button', has_text="Français").first.click()
    wait_for_app(page, until=nav.get_by_text(t("nav.flash", "fr")))
    assert nav.get_by_text(t("nav.flash", "fr")).count() == 1
