"""Drop to first figure in the browser, 50 000 rows: the Monday routine as the manager lives it, in headless Chromium
against the app served by Streamlit (issue 17). Goal: under 2 s.

Two timed stretches, the user's own time between them left out:
- drop: from the file given to the uploader until the mapping and the stage table show (read, recognise, plan);
- import: from the click on *Importer* until the flash page shows its first figure (clean, store, the stays table,
  the switch to the flash figures and their first render).
The figure is their sum. The file is the benchmarks' French Salesforce-like CSV (generate.write_french_csv).
A fresh workspace per round; the best of --repeat rounds is reported (the machine is shared).
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import common  # noqa: F401  (puts the repo on sys.path)
from common import REPO, Result, log, parser, report, workdir

import generate

GOAL_S = 2.0
ROWS = 50_000


def _round(browser, url: str, data: bytes, name: str, number: int) -> tuple[float, float]:
    from analytics.i18n import t
    from tests.e2e.browser import wait_for_app
    from tests.e2e.test_pages import _new_workspace

    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="fr-FR")
    try:
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(url)
        wait_for_app(page)
        _new_workspace(page, f"Bench {number}")
        start = time.perf_counter()
        page.set_input_files('input[type="file"]', files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
        page.get_by_text(t("import.stages_title", "fr")).wait_for()
        button = page.locator('[data-testid="stButton"] button', has_text=t("import.run", "fr")).first
        button.wait_for()
        dropped = time.perf_counter() - start
        start = time.perf_counter()
        button.click()
        page.locator('[data-testid="stMetricValue"]').first.wait_for()
        imported = time.perf_counter() - start
        return dropped, imported
    finally:
        context.close()


def run(rows: int, folder: Path, repeat: int) -> list[Result]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server

    path = folder / f"export-{rows}.csv"
    if not path.exists():
        log(f"drop: writing a {rows:,}-row French CSV (untimed)...")
        generate.write_french_csv(generate.opportunities_export(rows), path)
    data = path.read_bytes()
    rounds = []
    with tempfile.TemporaryDirectory() as workspaces, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            with streamlit_server(REPO / "app.py", Path(workspaces), folder / "bench-drop-server.log") as url:
                for i in range(repeat):
                    dropped, imported = _round(browser, url, data, path.name, i)
                    log(f"drop: round {i + 1}: drop to mapping {dropped:.2f} s, Importer to first figure"
                        f" {imported:.2f} s")
                    rounds.append((dropped + imported, dropped, imported))
        finally:
            browser.close()
    total, dropped, imported = min(rounds)
    return [
        Result(f"drop to first figure, {rows:,} rows (Chromium)", total, None, GOAL_S, kind="max"),
        Result("  of which drop to mapping", dropped, None, 0, kind="info"),
        Result("  of which Importer to first figure", imported, None, 0, kind="info"),
    ]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=ROWS)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args()
    with workdir(args.workdir) as folder:
        report(run(args.rows, folder, args.repeat), args.json)


if __name__ == "__main__":
    main()
