"""Two app processes (two replicas behind a load balancer) and the CLI's scheduled import on one workspaces folder
(issue 20, item 5): both servers open the demo at once, the CLI imports twice while their pages reload, and no page
shows an error, no import is lost, and both servers then show the same figures.
"""
from __future__ import annotations

import itertools
import os
import subprocess
import sys

import pytest

from analytics import store
from tests.files import csv_bytes
from tests.test_store_processes import rows

from . import browser as helpers
from .browser import ARTIFACTS, REPO, streamlit_server, wait_for_app

PORTS = (8621, 8622)  # this branch's test ports


def open_pipeline(page) -> str:
    """The flash page's "Pipeline ouvert" tile as shown."""
    tile = page.locator('[data-testid="stMetric"]').filter(has_text="Pipeline ouvert").first
    return tile.locator('[data-testid="stMetricValue"]').inner_text()


def test_two_app_processes_and_the_cli_share_one_workspaces_folder(browser, tmp_path, monkeypatch):
    ports = itertools.cycle(PORTS)
    monkeypatch.setattr(helpers, "free_port", lambda: next(ports))
    workspaces = tmp_path / "workspaces"
    exports = {}
    for day in ("2027-01-04", "2027-01-11"):  # two weeks' files (the same file twice would be refused)
        exports[day] = tmp_path / f"export_{day}.csv"
        exports[day].write_bytes(csv_bytes(rows(int(day[-2:])), ";"))
    app = REPO / "app.py"
    with streamlit_server(app, workspaces, ARTIFACTS / "processes-a.log") as url_a, \
            streamlit_server(app, workspaces, ARTIFACTS / "processes-b.log") as url_b:
        pages = []
        for url in (url_a, url_b):  # both sessions start before either has finished: both fill the demo
            page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR").new_page()
            page.goto(url)
            pages.append(page)
        for page in pages:
            wait_for_app(page)  # fails on an exception box
        env = {**os.environ, "COCKPIT_WORKSPACES": str(workspaces)}
        # the file holds two reps, not the demo's team: "--missing drop" says it is the whole team
        cron = [subprocess.Popen([sys.executable, "-m", "analytics", "import", str(path), "--workspace", "demo",
                                  "--snapshot-date", day, "--missing", "drop"], cwd=REPO, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for day, path in exports.items()]
        reloads = 0
        while reloads < 2 or any(c.poll() is None for c in cron):  # page loads for as long as the imports run
            for page in pages:
                page.reload()
                wait_for_app(page)
            reloads += 1
        for process in cron:
            out, err = process.communicate(timeout=300)
            assert process.returncode == 0 and "Traceback" not in err, err
        for page in pages:
            page.reload()
            wait_for_app(page)
        assert open_pipeline(pages[0]) == open_pipeline(pages[1])  # one store, whichever replica answers
        for page in pages:
            page.context.close()
    monkeypatch.setenv("COCKPIT_WORKSPACES", str(workspaces))
    days = [d.isoformat() for _, d in store.snapshots(store.open_workspace(store.DEMO_WORKSPACE))]
    store.close_workspace(store.DEMO_WORKSPACE)
    assert days[-2:] == ["2027-01-04", "2027-01-11"]  # neither import lost (the demo's uploads come before)
