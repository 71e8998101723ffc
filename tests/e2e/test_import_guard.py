"""The import page under an upload built to take the server down (issue 13, point 8; issue 20, item 4): a
workbook whose one far cell would make the xlsx reader ask for 512 GB and abort the process, with its references
or without any (the reader then places each cell after the previous one). The uploader sees the message; another
user, in a second browser context, still gets the figures from the same server.
"""
from __future__ import annotations

from analytics.i18n import t
from analytics.ingest.problems import ImportProblem
from analytics.ingest.read import read_file
import pytest

from tests.test_extent import far_cell_without_references
from tests.test_field_exports import far_cell_xlsx

from .browser import screenshot, wait_for_app
from .conftest import VIEWPORT
from .test_pages import PAGES, _space, metric_value, open_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize("label, build", [("with-references", far_cell_xlsx),
                                          ("without-references", lambda: far_cell_without_references(1_219))])
def test_import_a_far_cell_workbook_gets_its_message_and_another_tab_its_figures(page, browser, app_url, label,
                                                                                   build):
    data = build()
    try:
        read_file("lointaine.xlsx", data)
        raise AssertionError("the far-cell workbook was read")
    except ImportProblem as problem:
        expected = _space(problem.render("fr"))

    open_page(page, app_url, PAGES["import_page"])
    page.set_input_files('input[type="file"]', files=[{"name": "lointaine.xlsx", "mimeType": XLSX, "buffer": data}])
    alert = page.locator('[data-testid="stAlertContainer"]', has_text=expected[:40])
    wait_for_app(page, until=alert)
    assert _space(alert.first.inner_text()) == expected
    screenshot(page, f"import-far-cell-{label}")

    # Another user, another session: the server that received the upload still serves its figures.
    other = browser.new_context(viewport=VIEWPORT, locale="fr-FR")
    try:
        second = other.new_page()
        open_page(second, app_url, PAGES["flash"])
        assert metric_value(second, t("flash.kpi.won_count", "fr")).strip() not in ("", "—")
        screenshot(second, f"import-far-cell-{label}-second-tab")
    finally:
        other.close()
    # And the uploader's own page is still connected and answers.
    open_page(page, app_url, PAGES["import_page"])


def test_a_legacy_xls_is_refused_by_our_message_in_french_not_by_the_uploader(page, app_url):
    # The uploader used to refuse a .xls itself, in English ("application/vnd.ms-excel files are not allowed").
    # It now lets it through: its first bytes (the OLE signature) make our message, in the user's language.
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    open_page(page, app_url, PAGES["import_page"])
    page.set_input_files('input[type="file"]',
                         files=[{"name": "ancien.xls", "mimeType": "application/vnd.ms-excel", "buffer": data}])
    alert = page.locator('[data-testid="stAlertContainer"]', has_text="Ancien format Excel")
    wait_for_app(page, until=alert)
    assert _space(alert.first.inner_text()).startswith("Fichier « ancien.xls » : Ancien format Excel (.xls).")
    assert page.get_by_text("files are not allowed").count() == 0
    screenshot(page, "import-legacy-xls")
