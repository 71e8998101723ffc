"""The Monday routine in the browser (issue 17): week 1, week 2 (the uploader starts empty, the movement counts
week 2 against week 1 only), the same file again (said, and waiting for a choice), a partial upload on a new
date (flagged; "the whole team" and "a part" each give their figures), a past export (opens on its own month).
"""
from __future__ import annotations

import pytest

from analytics.i18n import t
from tests.files import csv_bytes

from .browser import screenshot, wait_for_app
from .test_pages import _new_workspace, _space, go_to, metric_value, open_page

HEAD = ["ID", "Commercial", "Étape", "Montant", "Probabilité", "Date de création", "Date de clôture"]
# Week 1 (16/11/2026): five open deals, 10 000 + 20 000 + 30 000 + 40 000 + 5 000 = 105 000 €.
WEEK1 = [["W1", "Ann Martin", "Proposition", "10000", "50", "2026-10-01", "2026-12-15"],
         ["W2", "Ann Martin", "Qualification", "20000", "30", "2026-10-02", "2026-12-20"],
         ["W3", "Bob Durand", "Négociation", "30000", "80", "2026-10-03", "2026-12-10"],
         ["W4", "Bob Durand", "Proposition", "40000", "50", "2026-10-04", "2026-12-31"],
         ["W5", "Bob Durand", "Qualification", "5000", "30", "2026-10-05", "2027-01-15"]]
# Week 2 (23/11/2026): W1 won on 20/11, W5 gone (dropped, 5 000 €), N1 new (3 000 €), the others unchanged.
WEEK2 = [["W1", "Ann Martin", "Gagnée", "10000", "100", "2026-10-01", "2026-11-20"],
         ["W2", "Ann Martin", "Qualification", "20000", "30", "2026-10-02", "2026-12-20"],
         ["W3", "Bob Durand", "Négociation", "30000", "80", "2026-10-03", "2026-12-10"],
         ["W4", "Bob Durand", "Proposition", "40000", "50", "2026-10-04", "2026-12-31"],
         ["N1", "Ann Martin", "Qualification", "3000", "30", "2026-11-21", "2027-02-01"]]


def _export(day: str, rows) -> bytes:
    return csv_bytes([[f"Export du {day}"], HEAD, *rows])


def _upload(page, name: str, data: bytes) -> None:
    go_to(page, t("nav.import", "fr"), t("import.title", "fr"))
    # the uploader starts empty: no file of an earlier import is queued beside this one
    assert page.locator('[data-testid="stFileUploaderFile"]').count() == 0
    page.set_input_files('input[type="file"]', files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    wait_for_app(page, until=page.get_by_text(t("import.stages_title", "fr")))


def _import_button(page):
    return page.locator('[data-testid="stButton"] button', has_text=t("import.run", "fr")).first


def _run_import(page) -> None:
    _import_button(page).click()
    wait_for_app(page, until=page.locator("h1", has_text=t("flash.title", "fr")))  # straight to the figures


def test_week_1_week_2_and_the_same_file_again(page, app_url):
    open_page(page, app_url)
    _new_workspace(page, "Lundi E2E")
    page.set_input_files('input[type="file"]', files=[{
        "name": "semaine1.csv", "mimeType": "text/csv", "buffer": _export("16/11/2026", WEEK1)}])
    wait_for_app(page, until=page.get_by_text(t("import.stages_title", "fr")))
    _run_import(page)
    assert metric_value(page, t("flash.kpi.open_amount", "fr")) == "105 000 €"

    _upload(page, "semaine2.csv", _export("23/11/2026", WEEK2))
    _run_import(page)
    # 105 000 - 10 000 (W1 won) - 5 000 (W5 dropped) + 3 000 (N1 new) = 93 000
    assert metric_value(page, t("flash.kpi.open_amount", "fr")) == "93 000 €"
    go_to(page, t("nav.pipeline", "fr"), t("pipeline.title", "fr"))
    dropped = metric_value(page, t("pipeline.step.dropped", "fr"))
    assert "5 000" in dropped, dropped  # W5 alone: week 1's file was not imported again with week 2
    screenshot(page, "monday-week2-movement")

    _upload(page, "copie.csv", _export("23/11/2026", WEEK2))
    known = page.locator('[data-testid="stAlertContainer"]', has_text="semaine2")
    assert known.count() == 1
    assert _import_button(page).is_disabled()
    screenshot(page, "monday-same-file")


NORTH = [["A-W", "Ann Martin", "Gagnée", "40000", "100", "2026-01-10", "2026-03-01"],
         ["A-O", "Ann Martin", "Proposition", "10000", "50", "2026-02-01", "2026-04-30"]]
SOUTH = [["B-W", "Bob Durand", "Gagnée", "60000", "100", "2026-01-12", "2026-03-01"],
         ["B-O", "Bob Durand", "Négociation", "50000", "80", "2026-02-02", "2026-04-30"]]


@pytest.mark.parametrize("choice, won", [
    ("import.parts_keep", "100 000 €"),  # Ann 40 000 + Bob 60 000 kept from 02/03
    ("import.parts_drop", "40 000 €"),  # Ann alone: the whole team is in the file
])
def test_a_partial_upload_on_a_new_date_is_flagged_and_each_choice_gives_its_figures(page, app_url, choice, won):
    open_page(page, app_url)
    _new_workspace(page, f"Partiel {choice[-4:]}")
    page.set_input_files('input[type="file"]', files=[{
        "name": "tous.csv", "mimeType": "text/csv", "buffer": _export("02/03/2026", NORTH + SOUTH)}])
    wait_for_app(page, until=page.get_by_text(t("import.stages_title", "fr")))
    _run_import(page)
    assert metric_value(page, t("flash.kpi.won_amount", "fr")) == "100 000 €"

    _upload(page, "nord.csv", _export("09/03/2026", NORTH))
    assert page.get_by_text(t("import.parts_title", "fr")).count() == 1
    assert _import_button(page).is_disabled()  # flagged before Importer, and waiting for the choice
    page.get_by_text(t(choice, "fr")).click()
    wait_for_app(page)
    screenshot(page, f"monday-partial-{choice[-4:]}")
    _run_import(page)
    assert metric_value(page, t("flash.kpi.won_amount", "fr")) == won


def test_a_past_export_opens_on_its_own_month(page, app_url):
    open_page(page, app_url)
    _new_workspace(page, "Ancien E2E")
    old = [["P1", "Ann Martin", "Gagnée", "12000", "100", "2025-02-01", "2025-03-14"],
           ["P2", "Ann Martin", "Proposition", "8000", "50", "2025-03-02", "2025-05-30"]]
    # no date stated in the file: the snapshot is dated today, the data ends on 14/03/2025
    page.set_input_files('input[type="file"]', files=[{
        "name": "ancien.csv", "mimeType": "text/csv", "buffer": csv_bytes([HEAD, *old])}])
    wait_for_app(page, until=page.get_by_text(t("import.stages_title", "fr")))
    _run_import(page)
    assert metric_value(page, t("flash.kpi.won_amount", "fr")) == "12 000 €"
    # the flash page says its period: March 2025, the month of the file's latest data
    assert "du 01/03/2025 au 31/03/2025" in _space(page.locator('[data-testid="stMain"]').inner_text())
    screenshot(page, "monday-past-export")
