"""What the browser tests need around a real app: a Streamlit server on a free port, and checks on a loaded page.

Kept apart from conftest.py so that the tests import the helpers by name and a test can check the helpers
themselves against a throwaway script (tests/e2e/test_helpers.py).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("COCKPIT_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling Google's hosts, which this closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_TIMEOUT = 90  # seconds; a cold start imports pandas, DuckDB and Altair
APP_RUN_TIMEOUT = 60_000  # ms; the demo company is built on the first run


def free_port() -> int:
    """A TCP port free on the loopback right now: the OS picks it, or the first free one of COCKPIT_E2E_PORTS
    ("8631-8639") on a machine where each user is given a range."""
    first, _, last = os.environ.get("COCKPIT_E2E_PORTS", "").partition("-")
    candidates = range(int(first), int(last or first) + 1) if first.strip().isdigit() else [0]
    for candidate in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise OSError(f"no free port in COCKPIT_E2E_PORTS={os.environ.get('COCKPIT_E2E_PORTS')}")


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextmanager
def streamlit_server(script: Path, workspaces: Path, log_path: Path) -> Iterator[str]:
    """Run `python -m streamlit run script` on a free loopback port until the block ends; yields its URL.

    The server runs from the repo root (so .streamlit/config.toml applies) with COCKPIT_WORKSPACES=workspaces,
    so no test touches a real workspace. Its output goes to log_path, shown when it fails to start.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "COCKPIT_WORKSPACES": str(workspaces), "PYTHONUNBUFFERED": "1"}
    for attempt in range(3):  # another process may take the port between free_port() and Streamlit's bind
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(script),
            "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
            "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
        ]
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None and not _healthy(url):
            time.sleep(0.25)
        if proc.poll() is None and _healthy(url):
            break
        _stop(proc)
        if "already in use" not in _tail(log_path) or attempt == 2:
            pytest.fail(f"Streamlit did not start on {url} ({script.name}); last lines of {log_path}:\n"
                        + _tail(log_path), pytrace=False)
    try:
        yield url
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


# --- checks on a page ------------------------------------------------------------------------------------------------

def wait_for_app(page, timeout: int = APP_RUN_TIMEOUT, until=None) -> None:
    """Wait until Streamlit has finished running the script, then fail the test if the page shows an exception.

    "Finished" follows Streamlit's own end-to-end tests: the app is connected and its script state is
    `notRunning` (a short pause first, so that a rerun just asked for has started), no "Running..." status widget,
    and the view container is there. After an action whose rerun may start late (an upload goes over HTTP
    first), pass `until`, a locator of what the action must show: it is waited for (or an exception box, which
    fails the test at once) before the run is waited for. An exception box (`stException`) fails the test with
    its message.
    """
    if until is not None:
        exception = page.locator('[data-testid="stException"]')
        try:
            until.first.or_(exception.first).wait_for(state="visible", timeout=timeout)
        except Exception as error:  # Playwright's TimeoutError: say what was awaited
            assert_no_exception(page)
            pytest.fail(f"{until} did not appear at {page.url}: {type(error).__name__}", pytrace=False)
    page.wait_for_timeout(250)
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]',
                           state="attached", timeout=timeout)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           state="attached", timeout=timeout)
    page.wait_for_selector('[data-testid="stAppViewContainer"]', state="attached", timeout=timeout)
    page.wait_for_function(
        """() => !Array.from(document.querySelectorAll('[data-testid="stStatusWidget"]'))
                  .some(el => /running/i.test(el.innerText))""",
        timeout=timeout,
    )
    # A placeholder still grey (Streamlit's skeleton) means a run is still drawing: seen under load, a run that
    # started after the state above was read. Wait for it to be drawn, then for that run to finish.
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stSkeleton"], [data-testid="stSkeletonElement"]')""",
        timeout=timeout,
    )
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           state="attached", timeout=timeout)
    page.wait_for_timeout(150)  # elements of the finished run are drawn on the next frames
    assert_no_exception(page)


def assert_no_exception(page) -> None:
    """Fail when the page shows Streamlit's exception box (an uncaught error or st.exception)."""
    boxes = page.locator('[data-testid="stException"]')
    if boxes.count():
        text = boxes.first.inner_text(timeout=5_000)
        pytest.fail(f"the page shows an exception at {page.url}:\n{text[:2000]}", pytrace=False)


# Counts, per Altair/Vega-Lite chart on the page, the data marks drawn: the SVG elements inside Vega's
# `role-mark` groups (axes, legends and titles have roles of their own), or for a chart Streamlit drew on a canvas
# (more than 2 000 points) the coloured pixels, as axes and labels are grey.
_CHART_MARKS_JS = """() => Array.from(document.querySelectorAll('[data-testid="stVegaLiteChart"]')).map(chart => {
  const svg = chart.querySelector('svg.marks');
  if (svg) {
    let n = 0;
    for (const group of svg.querySelectorAll('g.role-mark')) {
      if (group.closest('.role-axis, .role-legend, .role-title')) continue;
      n += group.querySelectorAll('path, rect, circle, line, text, image').length;
    }
    return n;
  }
  const canvas = chart.querySelector('canvas');
  if (canvas && canvas.width && canvas.height) {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) n++;
    }
    return n;
  }
  return 0;
})"""


def chart_marks(page) -> list[int]:
    """The number of data marks in each chart of the page (see _CHART_MARKS_JS), in page order."""
    return page.evaluate(_CHART_MARKS_JS)


def expect_charts(page, minimum: int = 1, timeout: int = 20_000) -> list[int]:
    """Wait until the page has at least `minimum` charts and every chart has marks in it; fail otherwise.

    Vega draws after the script run has finished, hence the wait. Returns the marks per chart.
    """
    deadline = time.monotonic() + timeout / 1000
    marks = chart_marks(page)
    while time.monotonic() < deadline and not (len(marks) >= minimum and all(marks)):
        page.wait_for_timeout(250)
        marks = chart_marks(page)
    assert_no_exception(page)
    if len(marks) < minimum:
        pytest.fail(f"expected at least {minimum} chart(s) at {page.url}, found {len(marks)}", pytrace=False)
    if not all(marks):
        pytest.fail(f"a chart at {page.url} has no marks (marks per chart: {marks})", pytrace=False)
    return marks


# How much taller than the window the page's content is: Streamlit scrolls inside a container, not the document,
# so Playwright's full_page alone would stop at the window's height.
_OVERFLOW_JS = """() => Math.max(0, ...Array.from(document.querySelectorAll('*'))
  .filter(el => /(auto|scroll)/.test(getComputedStyle(el).overflowY))
  .map(el => el.scrollHeight - el.clientHeight))"""
MAX_SCREENSHOT_HEIGHT = 8000


def screenshot(page, name: str) -> Path:
    """Save a PNG of the whole page under test-artifacts/ (kept as a CI artefact; gitignored).

    The window is made as tall as the content for the shot (up to MAX_SCREENSHOT_HEIGHT), then restored.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    extra = page.evaluate(_OVERFLOW_JS)
    if size and extra > 0:
        page.set_viewport_size({"width": size["width"], "height": min(size["height"] + extra, MAX_SCREENSHOT_HEIGHT)})
        page.wait_for_timeout(500)  # charts redraw at the new size
    page.screenshot(path=str(path), full_page=True)
    if size and extra > 0:
        page.set_viewport_size(size)
    return path
