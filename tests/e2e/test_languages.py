"""Every page in each language, in a real headless Chromium on the demo company: the text a reader sees (captions,
tiles, and the tables' cells as Streamlit's grid exposes them to screen readers) has no number, percent or date
written the other language's way, no raw field name as a table header, no derived key as a deal's name. A
screenshot of each page in each language is saved under test-artifacts/ (lang-<lang>-<page>.png).

The tooltips and the downloads are checked page by page without a browser (tests/test_page_language.py).
"""
from __future__ import annotations

import re

import pytest

from analytics.i18n import t
from tests import language_checks as check

from .browser import expect_charts, screenshot, wait_for_app
from .test_pages import PAGES, open_page

NAV = {"import_page": "nav.import", "flash": "nav.flash", "funnel": "nav.funnel", "segments": "nav.segments",
       "pipeline": "nav.pipeline", "review_individual": "nav.review_individual",
       "review_collective": "nav.review_collective"}
NO_CHART_PAGES = {"import_page"}
LANGUAGE_BUTTON = {"fr": "Français", "en": "English"}

_TEXT_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const cells = Array.from(main.querySelectorAll('[data-testid="stDataFrame"] table td'))
    .map(td => td.innerText);
  const heads = Array.from(main.querySelectorAll('[data-testid="stDataFrame"] table th'))
    .map(th => th.innerText);
  // the page's text without the grids' (their cells are read one by one above)
  const clone = main.cloneNode(true);
  clone.querySelectorAll('[data-testid="stDataFrame"]').forEach(el => el.remove());
  return {text: clone.innerText, cells: cells, heads: heads};
}"""


# Streamlit's grid draws on a canvas; its screen-reader table holds a number cell's value (0.4, 70500.0,
# 2026-12-06T00:00:00), not the text drawn (40,0 %): those raw values are left to the AppTest check, which reads the
# drawn text (tests/test_page_language.py).
RAW_VALUE = re.compile(r"^-?\d+(\.\d+)?(e-?\d+)?$|^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?)?$")


def _problems(seen: dict, lang: str) -> list[str]:
    problems = [f"text: {bad!r}" for bad in check.wrong_formats(seen["text"], lang)]
    for cell in (c for c in seen["cells"] if not RAW_VALUE.match(c.strip())):
        problems += [f"cell {cell!r}: {bad!r}" for bad in check.wrong_formats(cell, lang)]
    problems += [f"derived key {m!r}" for m in check.DERIVED_KEY.findall(seen["text"] + " ".join(seen["cells"]))]
    problems += [f"raw header {h!r}" for h in seen["heads"] if check.RAW_NAMES.match(h.strip())]
    return problems


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_page_reads_in_one_language(page, app_url, lang):
    open_page(page, app_url, PAGES["flash"])
    if lang != "fr":
        page.locator('[data-testid="stSidebar"] button', has_text=LANGUAGE_BUTTON[lang]).first.click()
        wait_for_app(page, until=page.locator('[data-testid="stSidebarNav"]').get_by_text(t("nav.flash", lang)))
    report = {}
    for name in PAGES:
        label = t(NAV[name], lang)
        page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()
        wait_for_app(page, until=page.locator("h1"))
        if name not in NO_CHART_PAGES:
            expect_charts(page)
        page.wait_for_timeout(500)  # grids fill their cells on the next frames
        seen = page.evaluate(_TEXT_JS)
        assert seen["text"].strip(), f"{name}: nothing on the page"
        problems = _problems(seen, lang)
        if problems:
            report[name] = problems[:12]
        screenshot(page, f"lang-{lang}-{name}")
    assert not report, "\n".join(f"{name}: {p}" for name, ps in report.items() for p in ps)
