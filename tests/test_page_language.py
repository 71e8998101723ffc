"""Every page, in each language, as AppTest renders it on the demo company: tables written the language's way
(and their numbers kept as numbers), headers and tooltips in words, no derived key shown, and a CSV + Excel pair
under every table and a PNG + SVG pair under every chart."""
from __future__ import annotations

import json

import pytest

from tests import language_checks as check
from tests.screen import download_counts, headers, shown

PAGES = ["pages/flash.py", "pages/funnel.py", "pages/segments.py", "pages/pipeline.py", "pages/review_individual.py",
         "pages/review_collective.py", "pages/import_page.py"]


def _render(app, page: str, lang: str):
    app.session_state["lang"] = lang
    app.run()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_speaks_one_language(app, page, lang):
    _render(app, page, lang)
    problems = []
    for table in app.dataframe:
        if table.editing_mode != "read_only":
            continue  # editors (mapping, thresholds) hold what the user types
        if not table.proto.arrow_data.styler.display_values and any(
                str(dtype).startswith(("int", "float", "Int", "Float")) for dtype in table.value.dtypes):
            # numbers left to the browser's own format (its locale, not the app's language)
            problems.append(f"a table's numbers are not written by the formatting module: {list(table.value.columns)}")
        text = shown(table)
        for j, col in enumerate(text.columns):
            for cell in (str(v) for v in text.iloc[:, j]):
                problems += [f"{col}: {bad!r} in {cell!r}" for bad in check.wrong_formats(cell, lang)]
                if check.DERIVED_KEY.search(cell):
                    problems.append(f"{col}: derived key {cell!r}")
        for col, label in headers(table).items():
            if label == col and check.RAW_NAMES.match(str(col)):
                problems.append(f"raw header {col!r}")
    for chart in app.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        problems += [f"chart tooltip without a title: {f!r}" for f in check.raw_tooltips(spec)]
        if check.boxplots(spec):
            problems.append("a Vega-Lite boxplot (its tooltips read 'Max of value')")
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("page", PAGES)
def test_every_table_and_chart_of_a_page_can_be_downloaded(app, page):
    _render(app, page, "fr")
    n = download_counts(app)
    drawn = sum(1 for t in app.dataframe if t.editing_mode == "read_only")  # editors hold what the user types
    assert (n["csv"], n["xlsx"]) == (drawn, drawn), n
    assert (n["png"], n["svg"]) == (n["charts"], n["charts"]), n


def test_the_checks_catch_the_other_languages_formats():
    # the checks themselves, on the very texts the issue quotes
    assert check.wrong_formats("Gagnées attendues 2.8", "fr") == ["2.8"]
    assert check.wrong_formats("pipeline 44,642", "fr") == ["44,642"]
    assert check.wrong_formats("dernier : 2026-11-23", "fr") == ["2026-11-23"]
    assert check.wrong_formats("Amount before 27\u202f800", "en") == ["27\u202f800"]
    assert check.wrong_formats("58,82 %", "en") == ["58,82"]
    assert check.wrong_formats("12,3 % · 1 134 000 € · 06/12/2026", "fr") == []
    assert check.wrong_formats("12.3% · €1,134,000 · 6 Dec 2026", "en") == []
    assert check.DERIVED_KEY.search("K-8fc2a6a97db7")
    assert all(check.RAW_NAMES.match(n) for n in ("value", "row", "label", "p25_days"))
    assert check.BOXPLOT_WORDS.search("Max of value")
